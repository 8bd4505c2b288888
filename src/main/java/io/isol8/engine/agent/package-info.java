/**
 * The frame codec of the agent protocol ({@code docs/agent-protocol.md}): the messages between the server and
 * {@code isol8-agent}, their encoding, and an incremental decoder that enforces the frame limit. JDK only; the
 * channel over Docker's attach stream lives in {@code io.isol8.engine.docker}.
 */
package io.isol8.engine.agent;
