// Package config loads a stage's settings from config/<stage>.yaml into one
// typed, validated Stage. It is the only place the CDK app reads settings
// from: stacks and constructs take the sections they need as arguments.
//
// Field tags: `yaml` names the key; `cfg:"required"` means the key must be
// set by the stage file or a file it extends; `cfg:"default=V"` gives the
// value used when no file sets the key (lists are comma-separated).
package config

// Stage is everything one deployment stage is built from.
type Stage struct {
	// Name is the stage name, taken from the file name (config/<name>.yaml).
	Name string `yaml:"-"`
	// Extends names another stage file whose values this one starts from.
	Extends string `yaml:"extends"`
	// Account is the 12-digit AWS account the stage deploys to.
	Account string `yaml:"account" cfg:"required"`
	// Region is the AWS region the stage deploys to.
	Region string `yaml:"region" cfg:"required"`
	// AvailabilityZones lists the zones of Region the VPC spans. They are
	// given here rather than looked up so that synth needs no AWS account.
	AvailabilityZones []string `yaml:"availabilityZones" cfg:"required"`
	// TerminationProtection turns on CloudFormation termination protection
	// for the stateful stacks (data, cache).
	TerminationProtection bool `yaml:"terminationProtection" cfg:"default=false"`
	// Tags are applied to every resource of the stage.
	Tags map[string]string `yaml:"tags"`

	Network  Network  `yaml:"network"`
	Database Database `yaml:"database"`
	Cache    Cache    `yaml:"cache"`
}

// Network configures the VPC.
type Network struct {
	// CIDR is the VPC's IPv4 range, /16 to /18.
	CIDR string `yaml:"cidr" cfg:"required"`
	// NATGateways is how many NAT gateways give the function subnets
	// outbound access (Razorpay, AWS APIs without an endpoint); 0 leaves
	// the function subnets isolated.
	NATGateways int `yaml:"natGateways" cfg:"required"`
	// InterfaceEndpoints lists the AWS services reached through interface
	// VPC endpoints instead of NAT, by service name ("secretsmanager").
	InterfaceEndpoints []string `yaml:"interfaceEndpoints" cfg:"default=secretsmanager"`
	FlowLogs           FlowLogs `yaml:"flowLogs"`
}

// FlowLogs configures VPC flow logs to CloudWatch Logs.
type FlowLogs struct {
	// RetentionDays is how long flow log records are kept.
	RetentionDays int `yaml:"retentionDays" cfg:"default=30"`
	// TrafficType is ALL, ACCEPT or REJECT.
	TrafficType string `yaml:"trafficType" cfg:"default=REJECT"`
}

// Database configures RDS PostgreSQL and the RDS Proxy in front of it.
type Database struct {
	// EngineVersion is the full PostgreSQL version, "16.8".
	EngineVersion string `yaml:"engineVersion" cfg:"required"`
	// InstanceClass is the RDS instance class, "db.r7g.large".
	InstanceClass string `yaml:"instanceClass" cfg:"required"`
	// Port is the port PostgreSQL and the proxy listen on.
	Port int `yaml:"port" cfg:"default=5432"`
	// Name is the database created on the instance.
	Name string `yaml:"name" cfg:"default=hasivu"`
	// Username is the master user, whose password lives in Secrets Manager.
	Username string `yaml:"username" cfg:"default=hasivu_admin"`
	// AllocatedStorageGiB is the gp3 storage allocated at creation.
	AllocatedStorageGiB int `yaml:"allocatedStorageGiB" cfg:"required"`
	// MaxAllocatedStorageGiB is the ceiling storage autoscaling may grow to.
	MaxAllocatedStorageGiB int `yaml:"maxAllocatedStorageGiB" cfg:"required"`
	// MultiAZ keeps a synchronous standby in a second zone.
	MultiAZ bool `yaml:"multiAz" cfg:"required"`
	// BackupRetentionDays is how long automated backups are kept, 0 to 35.
	BackupRetentionDays int `yaml:"backupRetentionDays" cfg:"required"`
	// BackupWindow is the daily backup window in UTC, "hh:mm-hh:mm".
	BackupWindow string `yaml:"backupWindow" cfg:"default=20:00-20:30"`
	// MaintenanceWindow is the weekly window in UTC, "ddd:hh:mm-ddd:hh:mm".
	MaintenanceWindow string `yaml:"maintenanceWindow" cfg:"default=sun:21:00-sun:22:00"`
	// DeletionProtection refuses API deletion of the instance.
	DeletionProtection bool `yaml:"deletionProtection" cfg:"required"`
	// RemovalPolicy is what CloudFormation does with the instance when it
	// leaves the stack: retain, snapshot or destroy.
	RemovalPolicy string `yaml:"removalPolicy" cfg:"required"`
	// PerformanceInsights turns on Performance Insights.
	PerformanceInsights bool `yaml:"performanceInsights" cfg:"required"`
	// PerformanceInsightsRetentionDays is 7 (free) or a multiple of 31 up
	// to 731.
	PerformanceInsightsRetentionDays int `yaml:"performanceInsightsRetentionDays" cfg:"default=7"`
	// MonitoringIntervalSeconds is the enhanced monitoring interval; 0 turns
	// enhanced monitoring off.
	MonitoringIntervalSeconds int `yaml:"monitoringIntervalSeconds" cfg:"required"`
	// LogExports lists the PostgreSQL logs exported to CloudWatch Logs.
	LogExports []string `yaml:"logExports" cfg:"default=postgresql,upgrade"`
	// LogRetentionDays is how long exported logs are kept.
	LogRetentionDays int `yaml:"logRetentionDays" cfg:"default=30"`
	// RotationDays is how often Secrets Manager rotates the master password.
	RotationDays int `yaml:"rotationDays" cfg:"default=30"`
	// Parameters are set in the parameter group over the tuned defaults.
	Parameters map[string]string `yaml:"parameters"`
	// Proxy configures RDS Proxy's connection pool.
	Proxy Proxy `yaml:"proxy"`
}

// Proxy configures RDS Proxy's connection pool.
type Proxy struct {
	// MaxConnectionsPercent caps the pool at this share of max_connections.
	MaxConnectionsPercent int `yaml:"maxConnectionsPercent" cfg:"default=90"`
	// MaxIdleConnectionsPercent is the share of idle connections the pool
	// keeps open.
	MaxIdleConnectionsPercent int `yaml:"maxIdleConnectionsPercent" cfg:"default=50"`
	// BorrowTimeoutSeconds is how long a client waits for a connection.
	BorrowTimeoutSeconds int `yaml:"borrowTimeoutSeconds" cfg:"default=10"`
	// IdleClientTimeoutSeconds closes client connections idle this long.
	IdleClientTimeoutSeconds int `yaml:"idleClientTimeoutSeconds" cfg:"default=900"`
}

// Cache configures the ElastiCache replication group.
type Cache struct {
	// Engine is redis or valkey.
	Engine string `yaml:"engine" cfg:"required"`
	// EngineVersion is "major.minor", "8.0".
	EngineVersion string `yaml:"engineVersion" cfg:"required"`
	// NodeType is the ElastiCache node type, "cache.r7g.large".
	NodeType string `yaml:"nodeType" cfg:"required"`
	// Replicas is the number of read replicas, 0 to 5. Automatic failover
	// is on whenever there is at least one.
	Replicas int  `yaml:"replicas" cfg:"required"`
	MultiAZ  bool `yaml:"multiAz" cfg:"required"`
	// Port is the port Redis listens on.
	Port int `yaml:"port" cfg:"default=6379"`
	// SnapshotRetentionDays is how long daily snapshots are kept; 0 turns
	// snapshots off.
	SnapshotRetentionDays int `yaml:"snapshotRetentionDays" cfg:"required"`
	// SnapshotWindow is the daily snapshot window in UTC, "hh:mm-hh:mm".
	SnapshotWindow string `yaml:"snapshotWindow" cfg:"default=19:00-20:00"`
	// MaintenanceWindow is the weekly window in UTC, "ddd:hh:mm-ddd:hh:mm".
	MaintenanceWindow string `yaml:"maintenanceWindow" cfg:"default=sun:22:00-sun:23:00"`
	// MaxmemoryPolicy is Redis's eviction policy when memory is full.
	MaxmemoryPolicy string `yaml:"maxmemoryPolicy" cfg:"default=allkeys-lru"`
	// RemovalPolicy is what CloudFormation does on deletion: retain,
	// snapshot or destroy.
	RemovalPolicy string `yaml:"removalPolicy" cfg:"required"`
}
