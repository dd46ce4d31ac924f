# Sourced by the load benchmarks: nginx from a private prefix under $WORK (no system config, no root), one worker,
# no access log.
#   nginx_bench NAME                                 the set-up they share: wrk and nginx installed when missing
#                                                    (need.sh), WORK=/tmp/dualstack-NAME.XXXXXX, PIDS=(), and on exit
#                                                    every pid in PIDS and the nginx killed
#   nginx_start 'server { … }' ['upstream … { … }']   starts it with that server block (and upstream, if any)
#   nginx_stub PORT                                  a static shadow stack: every request gets the same native-contract turn answer
nginx_bench() {
  source bench/need.sh
  need wrk
  need nginx
  WORK=$(mktemp -d "/tmp/dualstack-$1.XXXXXX")
  PIDS=()
  trap nginx_bench_cleanup EXIT
}
nginx_bench_cleanup() {
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
  if [ -f "$WORK/nginx.pid" ]; then kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true; fi
}
nginx_start() {
  mkdir -p "$WORK/nginx/logs"
  cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx; uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  ${2:-}
  $1
}
CONF
  nginx -p "$WORK/nginx" -c "$WORK/nginx.conf"
}

nginx_stub() {
  nginx_start "server {
    listen 127.0.0.1:$1;
    location / { default_type application/json; return 200 '{\"conversationId\":\"stub\",\"turnIndex\":0,\"reply\":\"Hello! How can I help you today?\",\"skillCalls\":[],\"memory\":{\"retrieved\":[],\"written\":[]}}'; }
  }"
}
