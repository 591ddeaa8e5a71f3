package routes

// The environment variables the API stack sets on a function, each only
// where the function's Needs call for it. Package env reads them, once, at
// init.
const (
	// EnvStage is the stage name (dev, staging, prod), which names the
	// metrics' namespace.
	EnvStage = "STAGE"
	// EnvDBHost is the RDS Proxy endpoint.
	EnvDBHost = "DB_HOST"
	// EnvDBPort is the database port, 5432 when unset.
	EnvDBPort = "DB_PORT"
	// EnvDBName and EnvDBUser are the database and its role.
	EnvDBName = "DB_NAME"
	EnvDBUser = "DB_USER"
	// EnvDBIAMAuth "true" makes the password an RDS IAM auth token, built
	// for every new connection from the AWS credentials Lambda sets (see
	// EnvAWSRegion); TLS is then required.
	EnvDBIAMAuth = "DB_IAM_AUTH"
	// EnvRedisAddr is the host:port of the Redis primary endpoint.
	EnvRedisAddr = "REDIS_ADDR"
	// EnvRedisTLS is "true" in AWS.
	EnvRedisTLS = "REDIS_TLS"
	// EnvRedisAuthSecretARN names the secret holding the Redis AUTH token
	// (a plain string, or JSON with "password" or "authToken").
	EnvRedisAuthSecretARN = "REDIS_AUTH_SECRET_ARN"
	// EnvJWTSecretARN names the secret holding the JWT signing key, JSON
	// {"privateKey": "<PKCS #8 PEM of a P-256 key>"} (auth.SigningSecret).
	// Only the function that signs tokens gets it.
	EnvJWTSecretARN = "JWT_SECRET_ARN"
	// EnvJWTVerificationARN names the secret holding the public keys that
	// verify tokens, JSON {"publicKeys": ["<PEM>", ...]}
	// (auth.VerificationSecret): the current key's and the previous one's.
	EnvJWTVerificationARN = "JWT_VERIFICATION_KEYS_ARN"
	// EnvRazorpaySecretARN names the secret whose SecretString is JSON
	// {"keyId":..., "keySecret":..., "webhookSecret":...}.
	EnvRazorpaySecretARN = "RAZORPAY_SECRET_ARN"
	// EnvRazorpayBaseURL is Razorpay's API endpoint, Razorpay's own
	// (env.DefaultRazorpayBaseURL) when unset.
	EnvRazorpayBaseURL = "RAZORPAY_BASE_URL"
	// EnvCorsAllowedOrigins lists, comma-separated, the web origins whose
	// browsers may read the API's responses. Routed functions only.
	EnvCorsAllowedOrigins = "CORS_ALLOWED_ORIGINS"
	// EnvDeployCheckFunction is the function a pre-traffic hook
	// (DeployCheck) checks.
	EnvDeployCheckFunction = "DEPLOY_CHECK_FUNCTION"
)

// The environment variables Lambda and its extensions set.
const (
	// EnvHandler is the function's Handler setting, which Lambda passes
	// to a custom runtime: the handler-table name of the function.
	EnvHandler = "_HANDLER"
	// EnvAWSRegion, EnvAWSAccessKeyID, EnvAWSSecretAccessKey and
	// EnvAWSSessionToken are the execution role's temporary credentials;
	// they sign IAM database tokens and authenticate calls to the secrets
	// extension.
	EnvAWSRegion          = "AWS_REGION"
	EnvAWSAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvAWSSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	EnvAWSSessionToken    = "AWS_SESSION_TOKEN"
	// EnvSecretsExtensionPort is the AWS Parameters and Secrets Lambda
	// extension's port, 2773 when unset.
	EnvSecretsExtensionPort = "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"
	// EnvLambdaFunctionName is set by Lambda (a reserved variable, which
	// no function configuration can set or unset): its presence means the
	// binary runs in Lambda, where LocalOnlyEnv is refused.
	EnvLambdaFunctionName = "AWS_LAMBDA_FUNCTION_NAME"
)

// The environment variables that, locally and in tests, replace what the
// API stack sets in AWS. The API stack never sets them.
const (
	// EnvDatabaseURL is a libpq URL or DSN; it replaces every EnvDB*
	// variable.
	EnvDatabaseURL = "DATABASE_URL"
	// EnvJWTSecret is the JWT signing key itself, PKCS #8 PEM of a P-256
	// key (auth.GenerateKey); it both signs and verifies.
	EnvJWTSecret = "JWT_SECRET"
	// EnvRazorpayKeyID, EnvRazorpayKeySecret and EnvRazorpayWebhookSecret
	// are the Razorpay credentials themselves.
	EnvRazorpayKeyID         = "RAZORPAY_KEY_ID"
	EnvRazorpayKeySecret     = "RAZORPAY_KEY_SECRET"
	EnvRazorpayWebhookSecret = "RAZORPAY_WEBHOOK_SECRET"
	// EnvAWSEndpointURL replaces the endpoints of the AWS APIs the
	// pre-traffic hook calls.
	EnvAWSEndpointURL = "AWS_ENDPOINT_URL"
)

// LocalOnlyEnv are the variables that put a secret itself, or a database
// URL that bypasses IAM authentication and TLS, into a function's
// configuration. Package env refuses each when EnvLambdaFunctionName is
// set, so an edit of the function's configuration in the console cannot
// override the secrets that IAM guards; the API stack never sets them.
var LocalOnlyEnv = []string{EnvDatabaseURL, EnvJWTSecret, EnvRazorpayKeyID, EnvRazorpayKeySecret, EnvRazorpayWebhookSecret}

// ArgEmulator, as the Lambda binary's only argument, lets it honour
// LocalOnlyEnv under a Lambda emulator (the benchmark's aws-lambda-rie,
// which sets EnvLambdaFunctionName). Lambda starts a function's bootstrap
// without arguments, and a function's configuration cannot add any.
const ArgEmulator = "emulator"
