# isol8:bun - the bun binary from the npm package bun@$BUN_VERSION on isol8:base (sandbox.md §13.2).
# The build context holds the binary as "bun" with mode 0755 (the classic builder has no
# COPY --chmod, and a chmod in a later layer would store the binary twice).
FROM isol8:base
COPY bun /usr/local/bin/bun
RUN bun --version
