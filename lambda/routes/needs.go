package routes

import (
	"maps"
	"slices"
)

// Needs lists what a function sets up at init. The binary builds nothing
// else (a function without Cache opens no Redis connection, one without
// Razorpay reads no Razorpay secret), and the API stack sets the
// environment and grants access for nothing else, so each function can
// reach only what its handler uses.
type Needs struct {
	// DB connects to PostgreSQL, as the user DBUserOf names.
	DB bool
	// Writes changes data: the function connects as DBApp rather than
	// DBReader.
	Writes bool
	// Schema owns the schema and changes it: the function connects as the
	// master user. Only migrate does.
	Schema bool
	// Passwords rehashes users' passwords at sign-in (a hash below the
	// current bcrypt cost) and writes nothing else: the function connects
	// as DBAuth. Only auth-login does.
	Passwords bool

	Cache bool
	// JWT verifies signed-in users' tokens: the function reads the
	// public verification keys.
	JWT bool
	// SignsTokens signs tokens: the function reads the private signing
	// key. Only auth-login does.
	SignsTokens bool
	Razorpay    bool
	// Webhook needs the Razorpay webhook secret only.
	Webhook bool
	// LongStatements lifts the database's statement_timeout for the
	// function's sessions: migrations build indexes for minutes.
	LongStatements bool
	// DeployCheck builds the pre-traffic hook's CodeDeploy and Lambda
	// clients.
	DeployCheck bool
}

// needs holds, for every function the binary serves, what it needs: the
// routed and invoked functions and the pre-traffic hook.
var needs = map[string]Needs{
	AuthLogin:           {DB: true, Cache: true, Passwords: true, SignsTokens: true},
	OrdersList:          {DB: true, Cache: true, JWT: true},
	OrdersCreate:        {DB: true, Writes: true, Cache: true, JWT: true},
	MenusDaily:          {DB: true, Cache: true},
	PaymentsCreateOrder: {DB: true, Writes: true, Cache: true, JWT: true, Razorpay: true},
	PaymentsWebhook:     {DB: true, Writes: true, Cache: true, Webhook: true},
	RFIDVerifyCard:      {DB: true, Writes: true, Cache: true, JWT: true},
	Profile:             {DB: true, Writes: true, Cache: true, JWT: true},
	AnalyticsDaily:      {DB: true, Cache: true, JWT: true},
	Migrate:             {DB: true, Schema: true, LongStatements: true},
	DeployCheck:         {DeployCheck: true},
}

// NeedsOf returns what the named function needs at init; a name this
// package does not declare needs nothing.
func NeedsOf(name string) Needs { return needs[name] }

// The database roles the functions connect as, besides the master user.
// Migrations 00006_roles.sql and 00009_auth_role.sql create them and
// grant their privileges;
// the API stack lets each function's IAM role connect, through RDS
// Proxy, as its own one alone.
const (
	// DBApp reads every table and inserts and updates those the
	// functions write; it deletes nothing and changes no schema.
	DBApp = "hasivu_app"
	// DBReader reads every table and writes none.
	DBReader = "hasivu_reader"
	// DBAuth reads every table and updates users' password hashes, and
	// nothing else (migration 00009_auth_role.sql).
	DBAuth = "hasivu_auth"
)

// DBRoles returns the roles above: the users RDS Proxy serves with IAM
// authentication all the way to the database.
func DBRoles() []string { return []string{DBApp, DBReader, DBAuth} }

// DBUserOf returns the database user the named function connects as:
// master (the RDS master user, config's database.username) for the
// function that owns the schema, DBAuth for the one that rehashes
// passwords, DBApp for one that writes, DBReader for
// one that only reads, and "" for one without the database. A new
// function reads only until its Needs say it writes.
func DBUserOf(name, master string) string {
	switch n := NeedsOf(name); {
	case !n.DB:
		return ""
	case n.Schema:
		return master
	case n.Passwords:
		return DBAuth
	case n.Writes:
		return DBApp
	default:
		return DBReader
	}
}

// Names returns, sorted, every function the binary serves: those Deployed
// returns and DeployCheck. The handler table has exactly these entries.
func Names() []string { return slices.Sorted(maps.Keys(needs)) }
