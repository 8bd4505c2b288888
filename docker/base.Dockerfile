# isol8:base - common base of every isol8 runtime image (sandbox.md §13.1, §13.2).
# Ensures tini, bash, coreutils, tar, grep, procps and ca-certificates (installed only when
# dpkg says a package is missing, so an offline rootfs that has them builds without network),
# and adds the unprivileged sandbox user (uid/gid 1000, home /sandbox).
# Carries the in-container agent (agent/, docs/agent-protocol.md) at /usr/local/bin/isol8-agent,
# root-owned, mode 0755; the build context holds it as isol8-agent (built by `make -C agent`).
# The label io.isol8.agent is the agent's protocol version. tini stays for the exec executor; the
# server sets the Entrypoint of each container itself.
ARG BASE=debian:bookworm-slim
FROM ${BASE}

# An imported rootfs (docker import) carries no PATH.
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

RUN set -eu; missing=""; \
    for p in tini bash coreutils tar grep procps ca-certificates; do \
      dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$missing $p"; \
    done; \
    if [ -n "$missing" ]; then \
      apt-get update; \
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing; \
      rm -rf /var/lib/apt/lists/*; \
    fi; \
    groupadd -g 1000 sandbox; \
    useradd -u 1000 -g 1000 -d /sandbox -M -s /bin/bash sandbox; \
    mkdir -p /sandbox; chown 1000:1000 /sandbox; chmod 0755 /sandbox

COPY isol8-agent /usr/local/bin/isol8-agent
RUN set -eu; chown 0:0 /usr/local/bin/isol8-agent; chmod 0755 /usr/local/bin/isol8-agent; \
    /usr/local/bin/isol8-agent --version
LABEL io.isol8.agent=2

WORKDIR /sandbox
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["sleep", "infinity"]
