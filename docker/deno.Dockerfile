# isol8:deno - the deno binary from the npm package deno@$DENO_VERSION on isol8:base (sandbox.md §13.2).
# The build context holds the binary as "deno" with mode 0755 (the classic builder has no
# COPY --chmod, and a chmod in a later layer would store the binary twice).
FROM isol8:base
COPY deno /usr/local/bin/deno
RUN deno --version
