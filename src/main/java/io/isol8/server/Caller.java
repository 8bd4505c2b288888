package io.isol8.server;

/** The authenticated principal of a request (its name, never its key). */
record Caller(String principal) {
}
