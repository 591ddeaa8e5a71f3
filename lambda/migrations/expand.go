package migrations

import (
	"regexp"
	"strings"
)

// Expand, then contract.
//
// The database is not rolled back with the functions. A deploy migrates
// the schema first (the migrate trigger runs before any alias moves); if
// the deploy then fails, CloudFormation returns every alias to the
// previous release, which keeps running against the schema this release
// migrated. A rollback also runs the previous release's migrate, whose
// migrations are all applied already: it does nothing. So every migration
// must leave the schema usable by the release before it: it may add
// (tables, nullable columns or columns with a default, indexes, values a
// check allows, looser constraints) but not take away or change what that
// release reads or writes. Breaking finds the statements that would.
//
// A contract step (dropping a column, a table, a default; renaming;
// changing a type; forbidding nulls) is allowed only once no release a
// rollback could return to uses what it removes: the release before the
// contracting one must already have stopped using it. Rename therefore
// takes three releases (add the new name and write both; read the new
// name; drop the old). A contract migration says so in its Up section
// with a line
//
//	-- +hasivu contract: <what the previous release no longer uses>
//
// and the tests then let it through.

// ContractMarker starts the line that marks a migration as a contract
// step.
const ContractMarker = "-- +hasivu contract:"

var (
	lineComment = regexp.MustCompile(`--[^\n]*`)
	spaces      = regexp.MustCompile(`\s+`)
	dropObject  = regexp.MustCompile(`^DROP (TABLE|VIEW|MATERIALIZED VIEW|SCHEMA|TYPE|SEQUENCE|DOMAIN)\b`)
	alterTable  = regexp.MustCompile(`^ALTER TABLE (IF EXISTS )?(ONLY )?\S+ (.*)$`)
	// A column's type is changed by TYPE, SET DATA TYPE.
	columnType  = regexp.MustCompile(`^ALTER (COLUMN )?\S+ (SET DATA )?TYPE\b`)
	setNotNull  = regexp.MustCompile(`^ALTER (COLUMN )?\S+ SET NOT NULL\b`)
	dropDefault = regexp.MustCompile(`^ALTER (COLUMN )?\S+ DROP DEFAULT\b`)
	addColumn   = regexp.MustCompile(`^ADD (COLUMN )?(IF NOT EXISTS )?`)
)

// Up returns the Up section of a goose migration.
func Up(migration string) string {
	_, up, _ := strings.Cut(migration, "-- +goose Up")
	up, _, _ = strings.Cut(up, "-- +goose Down")
	return up
}

// IsContract reports whether a migration's Up section marks it as a
// contract step, with a reason.
func IsContract(up string) bool {
	for _, line := range strings.Split(up, "\n") {
		if reason, ok := strings.CutPrefix(strings.TrimSpace(line), ContractMarker); ok && strings.TrimSpace(reason) != "" {
			return true
		}
	}
	return false
}

// Breaking returns the statements of an Up section that the previous
// release could not survive, each with the reason.
func Breaking(up string) []string {
	var out []string
	for _, stmt := range statements(up) {
		if why := breaks(stmt); why != "" {
			out = append(out, why+": "+stmt)
		}
	}
	return out
}

// statements splits SQL into statements, upper-cased with comments
// dropped and whitespace folded. (A semicolon inside a string or a DO
// block splits it, harmlessly for this check: each piece is still checked.)
func statements(sql string) []string {
	sql = lineComment.ReplaceAllString(sql, "")
	var out []string
	for _, s := range strings.Split(sql, ";") {
		if s = strings.TrimSpace(spaces.ReplaceAllString(s, " ")); s != "" {
			out = append(out, strings.ToUpper(s))
		}
	}
	return out
}

func breaks(stmt string) string {
	if m := dropObject.FindStringSubmatch(stmt); m != nil {
		return "drops a " + strings.ToLower(m[1])
	}
	if strings.HasPrefix(stmt, "ALTER ") && strings.Contains(stmt, " RENAME ") {
		return "renames"
	}
	m := alterTable.FindStringSubmatch(stmt)
	if m == nil {
		return ""
	}
	for _, action := range splitTopLevel(m[3]) {
		switch {
		case strings.HasPrefix(action, "DROP CONSTRAINT "):
			// Loosens: the previous release's writes still pass.
		case strings.HasPrefix(action, "DROP "):
			return "drops a column"
		case columnType.MatchString(action):
			return "changes a column's type"
		case setNotNull.MatchString(action):
			return "forbids nulls the previous release may write"
		case dropDefault.MatchString(action):
			return "drops a default the previous release may rely on"
		case addColumn.MatchString(action) && !strings.HasPrefix(action, "ADD CONSTRAINT ") &&
			strings.Contains(action, " NOT NULL") && !strings.Contains(action, " DEFAULT "):
			return "adds a NOT NULL column without a default, which the previous release's inserts leave null"
		}
	}
	return ""
}

// splitTopLevel splits ALTER TABLE's actions at the commas outside
// parentheses.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}
