package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Image;
import io.isol8.config.Isol8Config;
import io.isol8.core.Language;
import io.isol8.core.PackageSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Package images: runtime images with packages installed by {@code isol8 build}, found by their labels. Chooses the
 * image for a request's {@code installPackages} from a listing that is at most {@link #TTL_NANOS} old (one
 * {@code listImages} call with a label filter when it is older), so requests without packages never pay a Docker
 * call and requests with them pay at most one every few seconds.
 */
public final class PackageImages {
    /** The runtime a package image was built for; its presence makes an image a package image. */
    public static final String RUNTIME = "io.isol8.packages.runtime";
    /** The normalised, sorted, comma-joined package list ({@link PackageSet#label()}). */
    public static final String PACKAGES = "io.isol8.packages";
    /** SHA-256 of the runtime image id, the package list and the setup script: equal means up to date. */
    public static final String HASH = "io.isol8.packages.hash";
    /** The id of the runtime image the package image was built FROM; another id means it is stale. */
    public static final String FROM = "io.isol8.packages.from";
    /** Where deno package images keep their module cache (the code phase's {@code DENO_DIR} in them). */
    public static final String DENO_DIR = "/opt/isol8-deno";
    /** Runtime images carry this label (sandbox.md §13.1); one listing with it finds them and package images. */
    static final String IMAGE = "io.isol8.image";
    static final long TTL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final DockerClient docker;
    private final Isol8Config.Images images;
    private final LongSupplier nanos;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Snapshot snapshot;

    /**
     * One package image as Docker lists it.
     *
     * @param id       the image id ({@code sha256:…})
     * @param tags     its tags ({@code repo:tag}), possibly none
     * @param runtime  {@code io.isol8.packages.runtime}
     * @param packages {@code io.isol8.packages}
     * @param from     {@code io.isol8.packages.from}
     * @param size     bytes
     * @param created  seconds since the epoch
     */
    public record Listed(String id, List<String> tags, Language runtime, PackageSet packages, String from, long size,
                         long created) {
        public Listed {
            tags = List.copyOf(tags);
        }

        /** The first tag, else the short id. */
        public String name() {
            return tags.isEmpty() ? id.replace("sha256:", "").substring(0, 12) : tags.getFirst();
        }
    }

    private record Snapshot(long at, List<Listed> packageImages, Map<Language, String> runtimeIds) { }

    PackageImages(DockerClient docker, Isol8Config.Images images, LongSupplier nanos) {
        this.docker = docker;
        this.images = images;
        this.nanos = nanos;
    }

    /**
     * The smallest package image of {@code runtime} that holds every entry of {@code packages} and was built FROM
     * the current runtime image. Blocks for one Docker call when the cached listing is old.
     *
     * @throws RuntimeException Docker failed (the caller decides; the listing is retried on the next call)
     */
    Optional<Listed> choose(Language runtime, List<String> packages) {
        Snapshot s = current();
        return choose(s.packageImages(), Optional.ofNullable(s.runtimeIds().get(runtime)), runtime, packages);
    }

    /** The choice among {@code listed} (pure: unit-tested). */
    static Optional<Listed> choose(List<Listed> listed, Optional<String> runtimeId, Language runtime,
                                   List<String> packages) {
        if (runtimeId.isEmpty() || packages.isEmpty()) {
            return Optional.empty();
        }
        return listed.stream()
                .filter(i -> i.runtime() == runtime && i.from().equals(runtimeId.get()) && i.packages().covers(packages))
                .min(Comparator.comparingLong(Listed::size).thenComparing(Listed::id));
    }

    private Snapshot current() {
        Snapshot s = snapshot;
        if (s != null && nanos.getAsLong() - s.at() < TTL_NANOS) {
            return s;
        }
        lock.lock();
        try {
            s = snapshot;
            if (s != null && nanos.getAsLong() - s.at() < TTL_NANOS) {
                return s;
            }
            List<Image> all = docker.listImagesCmd().withLabelFilter(IMAGE).exec();
            Map<Language, String> runtimeIds = new EnumMap<>(Language.class);
            for (Language r : Language.values()) {
                String wanted = withTag(images.of(r));
                all.stream().filter(i -> i.getRepoTags() != null && Arrays.asList(i.getRepoTags()).contains(wanted))
                        .findFirst().ifPresent(i -> runtimeIds.put(r, i.getId()));
            }
            s = new Snapshot(nanos.getAsLong(), parse(all), runtimeIds);
            snapshot = s;
            return s;
        } finally {
            lock.unlock();
        }
    }

    /** The up-to-date package image that {@code reference} names now, if any. */
    Optional<Listed> current(String reference) {
        Snapshot s = current();
        String tag = withTag(reference);
        return s.packageImages().stream()
                .filter(i -> i.tags().contains(tag) && i.from().equals(s.runtimeIds().get(i.runtime())))
                .findFirst();
    }

    /** Forgets the cached listing (a build or removal just changed the images). */
    void forget() {
        snapshot = null;
    }

    /** Every package image on the engine, smallest first (one {@code listImages} call). */
    public static List<Listed> list(DockerClient docker) {
        return parse(docker.listImagesCmd().withLabelFilter(RUNTIME).exec());
    }

    private static List<Listed> parse(List<Image> images) {
        List<Listed> listed = new ArrayList<>();
        for (Image i : images) {
            Map<String, String> labels = i.getLabels() == null ? Map.of() : i.getLabels();
            parse(i.getId(), i.getRepoTags() == null ? List.of() : Arrays.stream(i.getRepoTags())
                            .filter(t -> !t.equals("<none>:<none>")).sorted().toList(), labels,
                    i.getSize() == null ? 0 : i.getSize(), i.getCreated() == null ? 0 : i.getCreated())
                    .ifPresent(listed::add);
        }
        listed.sort(Comparator.comparingLong(Listed::size).thenComparing(Listed::id));
        return listed;
    }

    /** A package image from its labels; empty when they are missing or malformed (such an image is never chosen). */
    static Optional<Listed> parse(String id, List<String> tags, Map<String, String> labels, long size, long created) {
        Optional<Language> runtime = Optional.ofNullable(labels.get(RUNTIME)).flatMap(Language::fromWire);
        String packages = labels.getOrDefault(PACKAGES, "");
        String from = labels.getOrDefault(FROM, "");
        if (runtime.isEmpty() || runtime.get() == Language.BASH || packages.isEmpty() || from.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Listed(id, tags, runtime.get(), PackageSet.parseLabel(runtime.get(), packages),
                    from, size, created));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** {@code repo} → {@code repo:latest}; a reference with a tag or digest stays as it is. */
    public static String withTag(String reference) {
        int slash = reference.lastIndexOf('/');
        int colon = reference.lastIndexOf(':');
        return reference.contains("@") || colon > slash ? reference : reference + ":latest";
    }
}
