// Package env reads the environment a Lambda function is started with, once,
// into one typed value. Nothing else in the Lambda binary reads the
// environment (the local tools under cmd/ read a few variables as flag
// defaults).
//
// The API stack sets exactly these variables:
//
//	_HANDLER               handler-table name of the function (Lambda sets it
//	                       from the function's Handler setting)
//	STAGE                  stage name (dev, staging, prod); the metrics namespace
//	DB_HOST                RDS Proxy endpoint
//	DB_PORT                default 5432
//	DB_NAME, DB_USER       database and role
//	DB_IAM_AUTH            "true": the password is an RDS IAM auth token built
//	                       for every new connection from AWS_ACCESS_KEY_ID,
//	                       AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
//	                       AWS_REGION (which Lambda sets); TLS is required
//	REDIS_ADDR             host:port of the Redis primary endpoint
//	REDIS_TLS              "true" in AWS
//	REDIS_AUTH_SECRET_ARN  secret holding the Redis AUTH token (plain string
//	                       or JSON with "password" or "authToken")
//	JWT_SECRET_ARN         secret whose SecretString is the JWT signing key
//	RAZORPAY_SECRET_ARN    secret whose SecretString is JSON
//	                       {"keyId":..., "keySecret":..., "webhookSecret":...}
//	RAZORPAY_BASE_URL      default https://api.razorpay.com
//	CORS_ALLOWED_ORIGINS   comma-separated web origins whose browsers may
//	                       read the API's responses
//	DEPLOY_CHECK_FUNCTION  the function a pre-traffic hook (deploy-check)
//	                       checks
//
// Secrets are read through the AWS Parameters and Secrets Lambda extension
// (package secrets), on the port in PARAMETERS_SECRETS_EXTENSION_HTTP_PORT
// (the extension's own setting, default 2773): the JWT key and the Redis
// AUTH token once, at init; the Razorpay secret when a payment request
// first needs it, again every few minutes.
//
// Locally and in tests these win when set:
//
//	DATABASE_URL           a libpq URL or DSN; replaces every DB_* variable
//	JWT_SECRET             the JWT signing key itself
//	RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET
//	                       the Razorpay credentials themselves
//	AWS_ENDPOINT_URL       where the AWS APIs the hook calls answer
//
// Locally REDIS_ADDR alone (no TLS, no AUTH) is enough.
package env

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultRazorpayBaseURL is Razorpay's API endpoint.
const DefaultRazorpayBaseURL = "https://api.razorpay.com"

// Env is the environment of one execution environment.
type Env struct {
	// Handler is the handler-table name from _HANDLER.
	Handler string
	// Stage names the deployment stage; it defaults to "local".
	Stage string

	DB    DB
	Redis Redis

	// JWTSecret is the signing key when given directly (JWT_SECRET).
	JWTSecret string
	// JWTSecretARN names the secret holding the signing key.
	JWTSecretARN string

	// Razorpay holds directly given credentials (RAZORPAY_KEY_ID, ...).
	Razorpay Razorpay
	// RazorpaySecretARN names the secret holding the credentials as JSON.
	RazorpaySecretARN string
	// RazorpayBaseURL is the Orders API base URL.
	RazorpayBaseURL string

	// SecretsEndpoint is the Parameters and Secrets extension's base URL.
	SecretsEndpoint string

	// CorsOrigins are the web origins allowed to read responses.
	CorsOrigins []string

	// AWS holds the credentials Lambda hands the function; they sign IAM
	// database tokens and authenticate calls to the secrets extension.
	AWS AWS

	// CheckedFunction is the function a pre-traffic hook checks
	// (DEPLOY_CHECK_FUNCTION).
	CheckedFunction string
	// AWSEndpoint, when set, replaces AWS's API endpoints
	// (AWS_ENDPOINT_URL; tests point it at a stand-in).
	AWSEndpoint string
}

// DB says how to reach PostgreSQL.
type DB struct {
	// URL is DATABASE_URL; when set it replaces every other field.
	URL     string
	Host    string
	Port    int
	Name    string
	User    string
	IAMAuth bool
}

// Redis says how to reach Redis.
type Redis struct {
	Addr          string
	TLS           bool
	AuthSecretARN string
}

// Razorpay holds Razorpay API credentials and the webhook secret.
type Razorpay struct {
	KeyID         string
	KeySecret     string
	WebhookSecret string
}

// AWS holds the execution role's temporary credentials and region.
type AWS struct {
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Load reads the environment through getenv (os.Getenv in main, a map in
// tests). It checks only the syntax of values; whether a value a function
// needs is present is checked when that function is set up, so a function
// never fails for a variable it does not use.
func Load(getenv func(string) string) (*Env, error) {
	e := &Env{
		Handler:      getenv("_HANDLER"),
		Stage:        getenv("STAGE"),
		JWTSecret:    getenv("JWT_SECRET"),
		JWTSecretARN: getenv("JWT_SECRET_ARN"),
		Razorpay: Razorpay{
			KeyID:         getenv("RAZORPAY_KEY_ID"),
			KeySecret:     getenv("RAZORPAY_KEY_SECRET"),
			WebhookSecret: getenv("RAZORPAY_WEBHOOK_SECRET"),
		},
		RazorpaySecretARN: getenv("RAZORPAY_SECRET_ARN"),
		RazorpayBaseURL:   getenv("RAZORPAY_BASE_URL"),
		DB: DB{
			URL:  getenv("DATABASE_URL"),
			Host: getenv("DB_HOST"),
			Name: getenv("DB_NAME"),
			User: getenv("DB_USER"),
			Port: 5432,
		},
		Redis: Redis{
			Addr:          getenv("REDIS_ADDR"),
			AuthSecretARN: getenv("REDIS_AUTH_SECRET_ARN"),
		},
		AWS: AWS{
			Region:          getenv("AWS_REGION"),
			AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
			SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
			SessionToken:    getenv("AWS_SESSION_TOKEN"),
		},
		CheckedFunction: getenv("DEPLOY_CHECK_FUNCTION"),
		AWSEndpoint:     getenv("AWS_ENDPOINT_URL"),
	}
	for _, o := range strings.Split(getenv("CORS_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			e.CorsOrigins = append(e.CorsOrigins, o)
		}
	}
	e.SecretsEndpoint = "http://localhost:2773"
	if p := getenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT must be a port number, got %q", p)
		}
		e.SecretsEndpoint = "http://localhost:" + p
	}
	if e.Stage == "" {
		e.Stage = "local"
	}
	if e.RazorpayBaseURL == "" {
		e.RazorpayBaseURL = DefaultRazorpayBaseURL
	}
	e.RazorpayBaseURL = strings.TrimRight(e.RazorpayBaseURL, "/")
	if p := getenv("DB_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("DB_PORT must be a port number, got %q", p)
		}
		e.DB.Port = n
	}
	var err error
	if e.DB.IAMAuth, err = parseBool("DB_IAM_AUTH", getenv("DB_IAM_AUTH")); err != nil {
		return nil, err
	}
	if e.Redis.TLS, err = parseBool("REDIS_TLS", getenv("REDIS_TLS")); err != nil {
		return nil, err
	}
	return e, nil
}

func parseBool(name, v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s must be true or false, got %q", name, v)
	}
	return b, nil
}

// Check reports a missing database setting by the variable's name.
func (d DB) Check() error {
	if d.URL != "" {
		return nil
	}
	for _, v := range []struct{ name, value string }{
		{"DB_HOST", d.Host}, {"DB_NAME", d.Name}, {"DB_USER", d.User},
	} {
		if v.value == "" {
			return fmt.Errorf("%s is not set (nor DATABASE_URL)", v.name)
		}
	}
	return nil
}
