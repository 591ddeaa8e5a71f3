// Package env reads the environment a Lambda function is started with, once,
// into one typed value. Nothing else in the Lambda binary reads the
// environment (the local tools under cmd/ read a few variables as flag
// defaults).
//
// The variables' names, and what each holds, are declared in package
// routes (env.go): the API stack sets them from the same declarations,
// each only where the function's routes.Needs call for it.
//
// Secrets are read through the AWS Parameters and Secrets Lambda extension
// (package secrets): the Redis AUTH token once, at init; the JWT keys and
// the Razorpay secret when a request first needs them, again every few
// minutes.
//
// Locally and in tests the variables routes declares for that (a database
// URL, the JWT key and the Razorpay credentials themselves, AWS's
// endpoint) win when set, and routes.EnvRedisAddr alone (no TLS, no AUTH)
// is enough. In Lambda (routes.EnvLambdaFunctionName set) Load refuses the
// ones that carry a secret or bypass IAM (routes.LocalOnlyEnv).
package env

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hasivu/infra/lambda/routes"
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
	// JWTVerificationARN names the secret holding the verification keys.
	JWTVerificationARN string

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
	// PreviousWebhookSecret is accepted beside WebhookSecret during a
	// rotation (secret only).
	PreviousWebhookSecret string
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
// never fails for a variable it does not use. In Lambda it refuses every
// variable of routes.LocalOnlyEnv that is set, naming it.
func Load(getenv func(string) string) (*Env, error) {
	if fn := getenv(routes.EnvLambdaFunctionName); fn != "" {
		for _, name := range routes.LocalOnlyEnv {
			if getenv(name) != "" {
				return nil, fmt.Errorf("%s is set in the configuration of Lambda function %s: it is for local use only "+
					"and refused in Lambda, where secrets come from Secrets Manager and the database through IAM and TLS; remove it",
					name, fn)
			}
		}
	}
	return LoadEmulated(getenv)
}

// LoadEmulated is Load without the refusal of routes.LocalOnlyEnv in
// Lambda: for a Lambda emulator (routes.ArgEmulator), which sets
// routes.EnvLambdaFunctionName and runs against local servers.
func LoadEmulated(getenv func(string) string) (*Env, error) {
	e := &Env{
		Handler:            getenv(routes.EnvHandler),
		Stage:              getenv(routes.EnvStage),
		JWTSecret:          getenv(routes.EnvJWTSecret),
		JWTSecretARN:       getenv(routes.EnvJWTSecretARN),
		JWTVerificationARN: getenv(routes.EnvJWTVerificationARN),
		Razorpay: Razorpay{
			KeyID:         getenv(routes.EnvRazorpayKeyID),
			KeySecret:     getenv(routes.EnvRazorpayKeySecret),
			WebhookSecret: getenv(routes.EnvRazorpayWebhookSecret),
		},
		RazorpaySecretARN: getenv(routes.EnvRazorpaySecretARN),
		RazorpayBaseURL:   getenv(routes.EnvRazorpayBaseURL),
		DB: DB{
			URL:  getenv(routes.EnvDatabaseURL),
			Host: getenv(routes.EnvDBHost),
			Name: getenv(routes.EnvDBName),
			User: getenv(routes.EnvDBUser),
			Port: 5432,
		},
		Redis: Redis{
			Addr:          getenv(routes.EnvRedisAddr),
			AuthSecretARN: getenv(routes.EnvRedisAuthSecretARN),
		},
		AWS: AWS{
			Region:          getenv(routes.EnvAWSRegion),
			AccessKeyID:     getenv(routes.EnvAWSAccessKeyID),
			SecretAccessKey: getenv(routes.EnvAWSSecretAccessKey),
			SessionToken:    getenv(routes.EnvAWSSessionToken),
		},
		CheckedFunction: getenv(routes.EnvDeployCheckFunction),
		AWSEndpoint:     getenv(routes.EnvAWSEndpointURL),
	}
	for _, o := range strings.Split(getenv(routes.EnvCorsAllowedOrigins), ",") {
		if o = strings.TrimSpace(o); o != "" {
			e.CorsOrigins = append(e.CorsOrigins, o)
		}
	}
	e.SecretsEndpoint = "http://localhost:2773"
	if p := getenv(routes.EnvSecretsExtensionPort); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("%s must be a port number, got %q", routes.EnvSecretsExtensionPort, p)
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
	if p := getenv(routes.EnvDBPort); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("%s must be a port number, got %q", routes.EnvDBPort, p)
		}
		e.DB.Port = n
	}
	var err error
	if e.DB.IAMAuth, err = parseBool(routes.EnvDBIAMAuth, getenv(routes.EnvDBIAMAuth)); err != nil {
		return nil, err
	}
	if e.Redis.TLS, err = parseBool(routes.EnvRedisTLS, getenv(routes.EnvRedisTLS)); err != nil {
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
		{routes.EnvDBHost, d.Host}, {routes.EnvDBName, d.Name}, {routes.EnvDBUser, d.User},
	} {
		if v.value == "" {
			return fmt.Errorf("%s is not set (nor %s)", v.name, routes.EnvDatabaseURL)
		}
	}
	return nil
}
