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
	DB       bool
	Cache    bool
	JWT      bool
	Razorpay bool
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
	AuthLogin:           {DB: true, JWT: true},
	OrdersList:          {DB: true, Cache: true, JWT: true},
	OrdersCreate:        {DB: true, Cache: true, JWT: true},
	MenusDaily:          {DB: true, Cache: true},
	PaymentsCreateOrder: {DB: true, Cache: true, JWT: true, Razorpay: true},
	PaymentsWebhook:     {DB: true, Cache: true, Webhook: true},
	RFIDVerifyCard:      {DB: true, Cache: true, JWT: true},
	Profile:             {DB: true, Cache: true, JWT: true},
	AnalyticsDaily:      {DB: true, Cache: true, JWT: true},
	Migrate:             {DB: true, LongStatements: true},
	DeployCheck:         {DeployCheck: true},
}

// NeedsOf returns what the named function needs at init; a name this
// package does not declare needs nothing.
func NeedsOf(name string) Needs { return needs[name] }

// Names returns, sorted, every function the binary serves: those Deployed
// returns and DeployCheck. The handler table has exactly these entries.
func Names() []string { return slices.Sorted(maps.Keys(needs)) }
