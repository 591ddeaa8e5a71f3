package migrations

// Files and ApplyFS expose the embedded migrations and apply to the tests,
// which run a previous release's migrations (a prefix of them).
var (
	Files   = files
	ApplyFS = apply
)
