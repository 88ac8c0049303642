#!/usr/bin/env bash
# Packaging acceptance check (docs/operations.md, "Installing from a package"): packs the project
# with `npm pack` (a clean build), checks what the tarball holds, unpacks it in an empty temp
# folder, runs `npm ci --omit=dev --engine-strict` there and starts `node dist/cli.js start` on
# loopback until it reports ready and serves the console. Everything lives in one temp folder,
# removed at the end; the server is stopped by its pid. Usage: bash scripts/pack-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/nomen-pack.XXXXXX")
server_pid=''
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "pack-smoke: FAIL: $*" >&2; exit 1; }
step() { echo "pack-smoke: $*"; }

step "npm pack (clean build) into $work"
tgz_name=$(npm pack --silent --pack-destination "$work" | tail -n 1)
tgz="$work/$tgz_name"
[ -f "$tgz" ] || fail "npm pack produced no tarball ($tgz_name)"

# What ships: the built server and console, the lockfile; no sources, tests or source maps.
tar -tzf "$tgz" | sort > "$work/files.txt"
for need in package/package.json package/npm-shrinkwrap.json package/scripts/prepare.mjs \
  package/dist/cli.js package/dist/cli-main.js package/dist/console/index.html \
  package/dist/wire/proto/nacos_grpc_service.proto; do
  grep -qx "$need" "$work/files.txt" || fail "tarball lacks $need"
done
if grep -E '^package/(src|test|console|bench|docs|node_modules)/|\.ts$|\.map$|^package/\.npmrc$' "$work/files.txt"; then
  fail "tarball holds sources, tests or maps (listed above)"
fi
step "tarball $(du -k "$tgz" | cut -f1) KiB, $(wc -l < "$work/files.txt") files"

mkdir "$work/app" "$work/data"
tar -xzf "$tgz" -C "$work/app"
app="$work/app/package"
cd "$app"
step "npm ci --omit=dev --engine-strict in the unpacked package"
npm ci --omit=dev --engine-strict --no-audit --no-fund --loglevel=error > "$work/npm-ci.log" 2>&1 \
  || { cat "$work/npm-ci.log" >&2; fail "npm ci --omit=dev failed"; }
[ -d node_modules/fastify ] || fail "runtime dependencies were not installed"
for dev in typescript vite react react-dom rolldown esbuild lightningcss tsx; do
  [ ! -e "node_modules/$dev" ] || fail "dev dependency $dev was installed by a production install"
done
step "production node_modules: $(du -sm node_modules | cut -f1) MB, $(($(npm ls --omit=dev --all --parseable 2>/dev/null | wc -l) - 1)) packages"

# Three consecutive free loopback ports: HTTP P, SDK gRPC P+1000, cluster P+1001.
port=$(node -e '
const net = require("node:net");
const free = (p) => new Promise((ok) => { const s = net.createServer(); s.once("error", () => ok(false)); s.listen(p, "127.0.0.1", () => s.close(() => ok(true))); });
(async () => {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 20000);
    if ((await free(p)) && (await free(p + 1000)) && (await free(p + 1001))) { console.log(p); return; }
  }
  process.exit(1);
})();') || fail "no free port"

step "node dist/cli.js start --port $port (loopback, data in $work/data)"
node dist/cli.js start --standalone --port "$port" --host 127.0.0.1 --data-dir "$work/data" \
  > "$work/server.log" 2>&1 &
server_pid=$!

# Readiness, then the console page, each within 60 s.
if ! node -e '
const base = process.argv[1];
const deadline = Date.now() + 60000;
(async () => {
  for (;;) {
    try {
      const r = await fetch(base + "/nacos/v1/console/health/readiness");
      if (r.status === 200) break;
    } catch {}
    if (Date.now() > deadline) { console.error("not ready within 60 s"); process.exit(1); }
    await new Promise((ok) => setTimeout(ok, 250));
  }
  const c = await fetch(base + "/nacos/");
  const html = await c.text();
  if (c.status !== 200 || !html.includes("<div id=")) { console.error("console: HTTP " + c.status); process.exit(1); }
})();' "http://127.0.0.1:$port"; then
  cat "$work/server.log" >&2
  fail "the server from the tarball did not become ready"
fi
kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "server exited"; }
step "ready: readiness 200, console served"
cd "$repo"
echo "pack-smoke: OK"
