STAGE ?= dev

.PHONY: synth test diff

# synth writes the templates of one stage (default dev) to cdk.out.
synth:
	scripts/synth.sh $(STAGE)

# test runs every test; see scripts/test.sh for the services it needs.
test:
	scripts/test.sh

# diff shows what the working tree changes in a stage's templates, offline.
diff:
	scripts/diff.sh $(STAGE)
