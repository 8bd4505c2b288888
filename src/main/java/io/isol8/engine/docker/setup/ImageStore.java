package io.isol8.engine.docker.setup;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.BuildImageCmd;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.BuildResponseItem;
import com.github.dockerjava.api.model.PullResponseItem;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Image look-ups, one pull, and classic-builder builds over docker-java. */
final class ImageStore {
    private static final int LOG_LINES = 30;

    private final DockerClient docker;
    private final Path work;
    private final PrintStream err;

    ImageStore(DockerClient docker, Path work, PrintStream err) {
        this.docker = docker;
        this.work = work;
        this.err = err;
    }

    /** The image, or empty when it is not present locally. */
    Optional<InspectImageResponse> inspect(String image) {
        try {
            return Optional.of(docker.inspectImageCmd(image).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    /** The image id ({@code sha256:…}), or empty. */
    Optional<String> id(String image) {
        return inspect(image).map(InspectImageResponse::getId);
    }

    /** A label of the image; empty when the image or the label is missing. */
    Optional<String> label(String image, String key) {
        return inspect(image).map(i -> i.getConfig() == null ? null : i.getConfig().getLabels())
                .map(l -> l.get(key)).filter(v -> !v.isEmpty());
    }

    /** Tries one pull; returns whether the image is present afterwards. */
    boolean pull(String image) {
        String[] name = split(image);
        try {
            var cmd = docker.pullImageCmd(name[0]);
            if (name[1] != null) {
                cmd.withTag(name[1]);
            }
            Pull pull = cmd.exec(new Pull());
            pull.awaitCompletion(30, TimeUnit.MINUTES);
            if (pull.error != null) {
                err.println("isol8 setup: pull of " + image + " failed: " + pull.error);
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            err.println("isol8 setup: pull of " + image + " failed: " + e.getMessage());
            return false;
        }
        return inspect(image).isPresent();
    }

    /** Removes a tag (the image goes only when no other tag or child holds it). */
    void untag(String image) {
        try {
            docker.removeImageCmd(image).withForce(false).exec();
        } catch (RuntimeException e) {
            err.println("isol8 setup: could not remove the tag " + image + ": " + e.getMessage());
        }
    }

    /**
     * Builds with the classic builder: a tar context holding {@code Dockerfile} and the {@code executables}
     * (mode 0755, under their map keys), tagged {@code tag}. Returns the image id.
     *
     * @throws SetupException the build failed; the last lines of its log went to stderr
     */
    String build(String tag, byte[] dockerfile, Map<String, Path> executables, Map<String, String> buildArgs,
                 Map<String, String> labels, boolean noCache) {
        Path context = work.resolve("context-" + Long.toHexString(System.nanoTime()) + ".tar");
        try {
            writeContext(context, dockerfile, executables);
            Log log = new Log();
            try (InputStream in = Files.newInputStream(context)) {
                BuildImageCmd cmd = docker.buildImageCmd(in)
                        .withTags(Set.of(tag))
                        .withLabels(labels)
                        .withNoCache(noCache)
                        .withRemove(true)
                        .withForcerm(true)
                        .withPull(false);
                buildArgs.forEach(cmd::withBuildArg);
                try {
                    return cmd.exec(log).awaitImageId(30, TimeUnit.MINUTES);
                } catch (RuntimeException e) {
                    synchronized (log) {
                        log.lines.forEach(err::println);
                    }
                    Throwable cause = log.failure != null ? log.failure : e;
                    throw new SetupException("build of " + tag + " failed: " + cause.getMessage(), cause);
                }
            }
        } catch (IOException e) {
            throw new SetupException("build of " + tag + " failed: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(context);
            } catch (IOException ignored) {
                // the work folder is deleted at the end
            }
        }
    }

    private static void writeContext(Path tarFile, byte[] dockerfile, Map<String, Path> executables)
            throws IOException {
        try (OutputStream out = Files.newOutputStream(tarFile);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new java.io.BufferedOutputStream(out))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            long now = System.currentTimeMillis();
            TarArchiveEntry df = new TarArchiveEntry("Dockerfile", true);
            df.setMode(0100644);
            df.setSize(dockerfile.length);
            df.setModTime(now);
            tar.putArchiveEntry(df);
            tar.write(dockerfile);
            tar.closeArchiveEntry();
            for (Map.Entry<String, Path> e : executables.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(e.getKey(), true);
                entry.setMode(0100755);
                entry.setSize(Files.size(e.getValue()));
                entry.setModTime(now);
                tar.putArchiveEntry(entry);
                try (InputStream in = Files.newInputStream(e.getValue())) {
                    in.transferTo(tar);
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
    }

    /**
     * Splits an image reference into repository and tag ({@code latest} when none); a digest reference keeps
     * the whole name as repository and a null tag.
     */
    static String[] split(String image) {
        if (image.contains("@")) {
            return new String[] {image, null};
        }
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        if (colon > slash) {
            return new String[] {image.substring(0, colon), image.substring(colon + 1)};
        }
        return new String[] {image, "latest"};
    }

    /** Follows a pull; remembers the first error instead of logging it. */
    private static final class Pull extends ResultCallback.Adapter<PullResponseItem> {
        volatile String error;

        @Override
        public void onNext(PullResponseItem item) {
            if (error == null && item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null) {
                error = item.getErrorDetail().getMessage();
            } else if (error == null && item.getError() != null) {
                error = item.getError();
            }
        }

        @Override
        public void onError(Throwable throwable) {
            if (error == null) {
                error = String.valueOf(throwable.getMessage()).strip();
            }
            closeQuietly(this);
        }
    }

    static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** Keeps the last lines of the build output for a failure message. */
    private static final class Log extends BuildImageResultCallback {
        final Deque<String> lines = new ArrayDeque<>();
        volatile Throwable failure;

        @Override
        public void onError(Throwable throwable) {
            // reported by build(); the default would also log it with a stack trace
            failure = throwable;
            closeQuietly(this);
        }

        @Override
        public void onNext(BuildResponseItem item) {
            if (item.getStream() != null) {
                item.getStream().lines().forEach(this::add);
            }
            if (item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null) {
                add(item.getErrorDetail().getMessage());
            } else if (item.getError() != null) {
                add(item.getError());
            }
            super.onNext(item);
        }

        private synchronized void add(String line) {
            if (line.isBlank()) {
                return;
            }
            lines.addLast(line);
            while (lines.size() > LOG_LINES) {
                lines.removeFirst();
            }
        }
    }
}
