package routes

import (
	"strconv"
	"time"
)

// SecurityHeaders are the headers every answer of the API carries,
// whoever makes it: the functions (restapi), API Gateway's own errors
// (cachedapi's gateway responses) and, where the stage has the edge,
// CloudFront (its response headers policy). Declared here, where the
// CDK app and the binary both read them.
var SecurityHeaders = map[string]string{
	// Browsers must take a JSON answer for JSON, never sniff it into a
	// script or a page.
	"X-Content-Type-Options": "nosniff",
	// HTTPS only, for a year, on every subdomain too: the API refuses
	// plain HTTP (the edge's HTTPS_ONLY), and a browser that remembers
	// never tries it, so a token cannot leak on a first request.
	"Strict-Transport-Security": "max-age=" + strconv.Itoa(int(HSTSMaxAge.Seconds())) + "; includeSubDomains",
}

// HSTSMaxAge is how long browsers keep to HTTPS: a year (365 days).
const HSTSMaxAge = 365 * 24 * time.Hour

// NoStore is the Cache-Control of every answer no cache may keep: the
// answers of routes that are not Public (per user, the login token among
// them) and every error, whatever the route, so that neither a browser, a
// proxy nor the edge keeps a failure or one caller's data. Answers of
// Public routes carry none of their own: the gateway's and the edge's
// TTLs (Route.CacheTTL) decide.
const NoStore = "no-store"
