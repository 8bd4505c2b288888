package io.isol8.server;

import java.util.Objects;
import java.util.Optional;

/**
 * A {@code request.codeUrl} to fetch before the execution runs (remoteCode.enabled).
 *
 * @param url           the URL as the client wrote it
 * @param sha256        {@code request.codeHash}, lowercase hex, when given
 * @param allowInsecure {@code request.allowInsecureCodeUrl}
 * @param extension     {@code request.fileExtension}, when given
 */
record RemoteSource(String url, Optional<String> sha256, boolean allowInsecure, Optional<String> extension) {
    RemoteSource {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(extension, "extension");
    }
}
