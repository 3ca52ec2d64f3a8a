#!/usr/bin/env bash
# JMH micro-benchmarks of the bench module (CPU work on the engine's hot paths, no database).
#   bench/run-jmh.sh                 # all of them
#   bench/run-jmh.sh -p batch=1000   # any JMH option
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl bench -am package -DskipTests -Dspotless.check.skip=true
exec java -cp "bench/target/classes:$(cat bench/target/bench.classpath)" org.openjdk.jmh.Main "$@"
