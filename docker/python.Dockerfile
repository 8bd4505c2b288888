# isol8:python - python3 and pip on isol8:base (sandbox.md §13.2).
# Packages are installed only when dpkg says they are missing (the offline rootfs has them).
FROM isol8:base

RUN set -eu; missing=""; \
    for p in python3 python3-pip; do \
      dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$missing $p"; \
    done; \
    if [ -n "$missing" ]; then \
      apt-get update; \
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing; \
      rm -rf /var/lib/apt/lists/*; \
    fi; \
    python3 --version
