# isol8:node - Node.js on isol8:base (sandbox.md §13.2); npm only with --build-arg WITH_NPM=1
# (online builds; Debian's npm pulls in hundreds of packages and is left out offline).
# Packages are installed only when dpkg says they are missing (the offline rootfs has nodejs).
FROM isol8:base
ARG WITH_NPM=0

RUN set -eu; missing=""; pkgs=nodejs; \
    if [ "$WITH_NPM" = 1 ]; then pkgs="$pkgs npm"; fi; \
    for p in $pkgs; do \
      dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$missing $p"; \
    done; \
    if [ -n "$missing" ]; then \
      apt-get update; \
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing; \
      rm -rf /var/lib/apt/lists/*; \
    fi; \
    node --version
