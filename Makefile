STAGE ?= dev

.PHONY: synth test diff bench bench-quick bench-synth docs diagram cost fuzz preflight

# synth writes the templates of one stage (default dev) to cdk.out.
synth:
	scripts/synth.sh $(STAGE)

# test runs every test; see scripts/test.sh for the services it needs.
test:
	scripts/test.sh

# diff shows what the working tree changes in a stage's templates, offline:
# one synth, then every stack's cdk diff at once; a stage or stack without
# golden templates shows as added.
diff:
	scripts/diff.sh $(STAGE)

# fuzz runs every fuzz target for FUZZTIME (default 1000x: a thousand inputs) each; make test
# runs it too. Longer: make fuzz FUZZTIME=5m.
fuzz:
	scripts/fuzz.sh

# bench measures the performance plan's figures on this machine and
# regenerates BENCHMARKS.md and bench/latency.png (see bench/main.go).
bench:
	scripts/bench.sh

# bench-quick is the short run for CI: a small data set, fewer runs; its
# report goes to a temporary directory unless -report says otherwise.
bench-quick:
	scripts/bench.sh -quick

# bench-synth measures the synth phase alone (every stage; prod against the
# same stacks in Node, and where its CPU goes), five runs each, and rewrites
# the synth part of BENCHMARKS.md, keeping the rest of the last full run.
bench-synth:
	scripts/bench.sh -only synth -splice -synth-runs 5

# docs regenerates what editors and the README show: the stage files' JSON
# Schema (config/stage.schema.json), the README's prod cost estimate and
# the prod architecture diagram.
docs:
	go test ./config -run '^TestSchemaIsCurrent$$' -update
	go test ./cost -run '^TestReadmeShowsProdCost$$' -update
	scripts/diagram.sh prod

# diagram renders a stage's architecture to docs/diagrams/$(STAGE).png with
# cdk-dia and Graphviz, from the synthesised app.
diagram:
	scripts/diagram.sh $(STAGE)

# cost prints a stage's monthly cost estimate as a Markdown table.
cost:
	go run ./cost/cmd/cost -stage $(STAGE)

# preflight checks, with the stage account's credentials, what a first
# deploy needs before CloudFormation finds it missing (README, Deploying).
preflight:
	go run ./preflight/cmd/preflight -stage $(STAGE)
