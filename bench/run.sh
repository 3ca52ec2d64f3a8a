#!/usr/bin/env bash
# Runs the outbox benchmarks and writes BENCHMARKS.md at the repository root.
#   bench/run.sh quick                 # a few minutes (< 10 on 2 cores)
#   bench/run.sh full --wait-quiet     # the published figures; waits (up to 5 min) for 1-min load < 0.5 per section
# Other options: --only=writer,drain,curve,latency,notify,idle,debezium,partition-read,partition-scaling,idle-partitions,kafka,connect,operations  --db=postgres,mariadb
#                --reps=N  --backlog=N  --wait-quiet=LOAD,MAX_SECONDS  --out=FILE
#                --postgres-url=JDBC_URL  --mariadb=HOST:PORT
# Needs PostgreSQL on 127.0.0.1:5432 (database test, user postgres, trust), MariaDB on 127.0.0.1:3306
# (root, no password), and PostgreSQL server binaries under /usr/lib/postgresql for the private
# instance (wal_level=logical) that the Debezium and idle sections start and delete.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl bench -am package -DskipTests -Dspotless.check.skip=true
# 3 GiB: section 9 holds a million producer records in memory for its plain producer
exec java -Xms1g -Xmx3g -XX:+UseParallelGC \
  -cp "bench/target/classes:$(cat bench/target/bench.classpath)" \
  dev.outbox.bench.BenchMain "$@"
