#!/bin/bash
# scripts/bench-packages.sh - install time per runtime for one small package (cold, on the filtered
# network), the same request on a package image, the same code without packages, and image sizes.
# Needs the runtime images, npm and the npm registry (node's image with npm and the packages of node,
# bun and deno come from it); python installs from a local index this script serves (a wheel it makes).
# Usage: scripts/bench-packages.sh [RUNS]   (after `mvn package`; prints one line per request)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-3}
KEY=bench-packages-0123456789
PORT=3222
WORK=$(mktemp -d /var/tmp/isol8-bench-packages.XXXXXX)
ISOL8="java -jar $ROOT/target/isol8.jar"
SERVER=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  docker rm -f isol8-bench-index >/dev/null 2>&1 || true
  docker rmi -f isol8-bench-pkg:python isol8-bench-pkg:node isol8-bench-pkg:bun isol8-bench-pkg:deno \
    isol8-bench-node-npm:1 >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# a PEP 503 index with one pure wheel (isol8-probe 1.0), served on Docker's default bridge
python3 - "$WORK/srv" <<'PY'
import base64, hashlib, os, sys, zipfile
srv = sys.argv[1]
info = "isol8_probe-1.0.dist-info/"
entries = {"isol8_probe/__init__.py": b"VALUE = 42\n",
           info + "METADATA": b"Metadata-Version: 2.1\nName: isol8-probe\nVersion: 1.0\n",
           info + "WHEEL": b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
record = "".join("%s,sha256=%s,%d\n" % (k, base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b"=").decode(),
                                       len(v)) for k, v in entries.items())
entries[info + "RECORD"] = (record + info + "RECORD,,\n").encode()
os.makedirs(srv + "/files"); os.makedirs(srv + "/simple/isol8-probe")
name = "isol8_probe-1.0-py3-none-any.whl"
with zipfile.ZipFile(srv + "/files/" + name, "w") as z:
    for k, v in entries.items():
        z.writestr(k, v)
sha = hashlib.sha256(open(srv + "/files/" + name, "rb").read()).hexdigest()
open(srv + "/simple/isol8-probe/index.html", "w").write('<a href="/files/%s#sha256=%s">%s</a>\n' % (name, sha, name))
PY
chmod -R a+rX "$WORK"
docker run -d --name isol8-bench-index --user 1000 --cap-drop ALL -v "$WORK/srv:/srv:ro" isol8:python \
  python3 -m http.server 8080 --directory /srv >/dev/null
INDEX=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' isol8-bench-index)

# node's image with npm (the offline images have none)
mkdir "$WORK/node"
(cd "$WORK/node" && npm pack --silent npm@10.9.2 >/dev/null)
printf 'FROM isol8:node\nADD %s /usr/local/lib/\nRUN mkdir -p /usr/local/lib/node_modules && mv /usr/local/lib/package /usr/local/lib/node_modules/npm && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm\n' \
  "$(cd "$WORK/node" && ls ./*.tgz | head -1 | cut -c3-)" > "$WORK/node/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t isol8-bench-node-npm:1 "$WORK/node" >/dev/null

# the registry may sit on an address the proxy refuses by default (a TLS-inspecting site)
ALLOW=$(getent ahosts registry.npmjs.org | awk '{print $1 "/32"}' | sort -u | paste -sd, -)
CA=""
[ -r /etc/ssl/certs/ca-certificates.crt ] && CA="  caFile: /etc/ssl/certs/ca-certificates.crt"
cat > "$WORK/isol8.yaml" <<YAML
limits:
  allowedNetworks: [none, filtered]
  allowedHosts: ['^nothing\\.invalid\$']
network:
  allowPrivate: [$ALLOW]
packages:
$CA
  python:
    indexUrl: http://$INDEX:8080/simple/
images:
  node: isol8-bench-node-npm:1
pool:
  enabled: false
YAML

$ISOL8 serve --port $PORT --key $KEY --config "$WORK/isol8.yaml" > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 50); do curl -sf localhost:$PORT/health >/dev/null && break; sleep 0.2; done

post() {
  curl -s -o "$WORK/out.json" -w '%{time_total}' -H "Authorization: Bearer $KEY" \
    -H 'content-type: application/json' localhost:$PORT/execute -d "$1"
}
fields() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("exit=%s installMs=%s stdout=%r" % (d.get("exitCode"), d.get("installMs"), d.get("stdout")))' "$WORK/out.json"
}
package() { case $1 in python) echo isol8-probe==1.0;; deno) echo npm:is-number@7.0.0;; *) echo is-number@7.0.0;; esac; }
code() {
  case $1 in
    python) echo '"import isol8_probe\nprint(isol8_probe.VALUE)"';;
    deno) echo '"import n from \"npm:is-number@7.0.0\"; console.log(n(5))"';;
    *) echo "\"console.log(require('is-number')(5))\"";;
  esac
}

for phase in cold image; do
  if [ $phase = image ]; then
    for r in python node bun deno; do
      start=$(date +%s.%N)
      $ISOL8 build --runtime $r --install "$(package $r)" --tag isol8-bench-pkg:$r --config "$WORK/isol8.yaml"
      echo "build $r $(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))" "$start" "$(date +%s.%N)") s"
    done
    sleep 11 # the server's listing of package images is at most 10 s old
  fi
  for r in python node bun deno; do
    for i in $(seq "$RUNS"); do
      if [ $phase = cold ]; then
        t=$(post "{\"request\":{\"runtime\":\"$r\",\"code\":$(code $r),\"installPackages\":[\"$(package $r)\"],\"timeoutMs\":120000},\"options\":{\"network\":\"filtered\"}}")
        echo "cold  $r $i total=${t}s $(fields)"
      else
        t=$(post "{\"request\":{\"runtime\":\"$r\",\"code\":$(code $r),\"installPackages\":[\"$(package $r)\"]}}")
        echo "image $r $i total=${t}s $(fields)"
        plain='"console.log(true)"'; [ $r = python ] && plain='"print(True)"'
        t=$(post "{\"request\":{\"runtime\":\"$r\",\"code\":$plain}}")
        echo "plain $r $i total=${t}s $(fields)"
      fi
    done
  done
done
for r in python node bun deno; do
  base=isol8:$r; [ $r = node ] && base=isol8-bench-node-npm:1
  echo "size $r runtime=$(docker image inspect -f '{{.Size}}' $base) package=$(docker image inspect -f '{{.Size}}' isol8-bench-pkg:$r)"
done
