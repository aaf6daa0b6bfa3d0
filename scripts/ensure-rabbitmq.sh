#!/usr/bin/env bash
# Make sure RabbitMQ answers on 127.0.0.1:5672 for the benefit run's workers (Celery) and
# their crash test: start the local node if it is down, install it if it is absent.
set -euo pipefail
ready() { rabbitmq-diagnostics -q ping >/dev/null 2>&1; }
ready && exit 0
if ! command -v rabbitmq-server >/dev/null; then
  echo "installing rabbitmq-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q rabbitmq-server >/dev/null
fi
rabbitmq-server -detached || true
for _ in $(seq 60); do ready && exit 0; sleep 1; done
echo "RabbitMQ did not start" >&2
exit 1
