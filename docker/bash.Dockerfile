# isol8:bash - bash runtime: isol8:base as it is (sandbox.md §13.2).
FROM isol8:base
