STAGE ?= dev

.PHONY: synth test diff bench bench-quick

# synth writes the templates of one stage (default dev) to cdk.out.
synth:
	scripts/synth.sh $(STAGE)

# test runs every test; see scripts/test.sh for the services it needs.
test:
	scripts/test.sh

# diff shows what the working tree changes in a stage's templates, offline.
diff:
	scripts/diff.sh $(STAGE)

# bench measures the performance plan's figures on this machine and
# regenerates BENCHMARKS.md and bench/latency.png (see bench/main.go).
bench:
	scripts/bench.sh

# bench-quick is the short run for CI: a small data set, fewer runs; its
# report goes to a temporary directory unless -report says otherwise.
bench-quick:
	scripts/bench.sh -quick
