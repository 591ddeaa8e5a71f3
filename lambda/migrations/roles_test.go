package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/lambda/testsupport"
)

// insufficientPrivilege is SQLSTATE 42501: permission denied, or "must be
// owner".
const insufficientPrivilege = "42501"

// roleConn connects to the test schema of dsn as role.
func roleConn(t *testing.T, dsn, role string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), testsupport.AsRole(t, dsn, role))
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// refused runs sql as the connection's role and reports unless PostgreSQL
// refused it for want of privilege.
func refused(t *testing.T, c *pgx.Conn, sql string) {
	t.Helper()
	_, err := c.Exec(context.Background(), sql)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != insufficientPrivilege {
		t.Errorf("%s ran %q: %v, want permission denied (%s)", c.Config().User, sql, err, insufficientPrivilege)
	}
}

// table is one table of the migrated schema with one of its columns
// that an UPDATE may set.
type table struct{ name, column string }

func tables(t *testing.T, dsn string) []table {
	t.Helper()
	rows, err := testsupport.Pool(t, dsn).Query(context.Background(), `
		SELECT c.table_name, min(c.column_name)
		FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		  AND c.is_identity = 'NO' AND c.is_generated = 'NEVER'
		GROUP BY c.table_name ORDER BY c.table_name`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var tb table
		return tb, r.Scan(&tb.name, &tb.column)
	})
	if err != nil || len(out) < 10 {
		t.Fatalf("tables of the migrated schema: %v %v", out, err)
	}
	return out
}

// TestReaderOnlyReads: the role of the functions that only read (menus,
// lists, sign-in) reads every table, the schema version included, and
// can change none.
func TestReaderOnlyReads(t *testing.T) {
	t.Parallel()
	dsn := testsupport.MigratedSchema(t)
	reader := roleConn(t, dsn, routes.DBReader)
	for _, tb := range tables(t, dsn) {
		if _, err := reader.Exec(context.Background(), "SELECT count(*) FROM "+tb.name); err != nil {
			t.Errorf("the reader cannot read %s: %v", tb.name, err)
		}
		refused(t, reader, "INSERT INTO "+tb.name+" DEFAULT VALUES")
		refused(t, reader, fmt.Sprintf("UPDATE %s SET %s = %[2]s", tb.name, tb.column))
		refused(t, reader, "DELETE FROM "+tb.name)
		refused(t, reader, "SELECT * FROM "+tb.name+" FOR UPDATE")
	}
}

// TestAppChangesNoSchema: the role of the functions that write deletes
// nothing and runs no DDL; what it may insert and update is exercised by
// the functions' own tests, which connect as their roles
// (lambda/functions, TestFunctionsWorkAsTheirDatabaseRoles).
func TestAppChangesNoSchema(t *testing.T) {
	t.Parallel()
	dsn := testsupport.MigratedSchema(t)
	app := roleConn(t, dsn, routes.DBApp)
	for _, tb := range tables(t, dsn) {
		if _, err := app.Exec(context.Background(), "SELECT count(*) FROM "+tb.name); err != nil {
			t.Errorf("the app cannot read %s: %v", tb.name, err)
		}
		refused(t, app, "DELETE FROM "+tb.name)
		refused(t, app, "TRUNCATE "+tb.name)
		refused(t, app, "ALTER TABLE "+tb.name+" ADD COLUMN intruder text")
		refused(t, app, "DROP TABLE "+tb.name)
		refused(t, app, fmt.Sprintf("CREATE INDEX intruder_idx ON %s (%s)", tb.name, tb.column))
	}
	refused(t, app, "CREATE TABLE intruder (id int)")
	refused(t, app, "CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'")
	// The users' passwords and statuses are read, never written.
	refused(t, app, "UPDATE users SET status = 'active'")
	refused(t, app, "INSERT INTO schools (code, name, city) VALUES ('X', 'x', 'x')")
	// Neither role owns anything it could grant or alter.
	for _, role := range routes.DBRoles() {
		var owns int
		if err := testsupport.Pool(t, dsn).QueryRow(context.Background(), `
			SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
			WHERE r.rolname = $1`, role).Scan(&owns); err != nil || owns != 0 {
			t.Errorf("%s owns %d relations (%v)", role, owns, err)
		}
	}
}

// TestAuthRoleOnlyRehashes: sign-in's role reads every table and may
// change a user's password hash, and nothing else.
func TestAuthRoleOnlyRehashes(t *testing.T) {
	t.Parallel()
	dsn := testsupport.MigratedSchema(t)
	c := roleConn(t, dsn, routes.DBAuth)
	for _, tb := range tables(t, dsn) {
		if _, err := c.Exec(context.Background(), "SELECT count(*) FROM "+tb.name); err != nil {
			t.Errorf("%s cannot read %s: %v", routes.DBAuth, tb.name, err)
		}
		refused(t, c, "INSERT INTO "+tb.name+" DEFAULT VALUES")
		refused(t, c, "DELETE FROM "+tb.name)
		if tb.name != "users" {
			refused(t, c, fmt.Sprintf("UPDATE %s SET %s = %[2]s", tb.name, tb.column))
		}
	}
	if _, err := c.Exec(context.Background(), `UPDATE users SET password_hash = password_hash, updated_at = now() WHERE false`); err != nil {
		t.Errorf("%s cannot update password hashes: %v", routes.DBAuth, err)
	}
	for _, col := range []string{"status", "role", "email", "first_name"} {
		refused(t, c, "UPDATE users SET "+col+" = "+col)
	}
}

// TestLaterTablesAreReadable: a table a later migration creates (as the
// master user, which runs them) is readable by both roles and writable by
// neither until a migration grants it.
func TestLaterTablesAreReadable(t *testing.T) {
	t.Parallel()
	dsn := testsupport.MigratedSchema(t)
	if _, err := testsupport.Pool(t, dsn).Exec(context.Background(), `CREATE TABLE later (id int)`); err != nil {
		t.Fatal(err)
	}
	for _, role := range routes.DBRoles() {
		c := roleConn(t, dsn, role)
		if _, err := c.Exec(context.Background(), "SELECT * FROM later"); err != nil {
			t.Errorf("%s cannot read a later table: %v", role, err)
		}
		refused(t, c, "INSERT INTO later VALUES (1)")
	}
}

// TestRolesUseIAMWhereRDSHasIt: on RDS the roles are members of rds_iam,
// which makes PostgreSQL take an IAM token as their password (RDS Proxy's
// end-to-end IAM authentication logs in that way). The test server has no
// rds_iam, so the test creates a stand-in role of that name (cluster-wide,
// and harmless: only RDS gives it meaning) and takes the membership away
// before migrating a fresh schema.
func TestRolesUseIAMWhereRDSHasIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin := testsupport.Pool(t, testsupport.DatabaseURL())
	if _, err := admin.Exec(ctx, `
		DO $$ BEGIN CREATE ROLE rds_iam NOLOGIN;
		EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`); err != nil {
		t.Fatal(err)
	}
	for _, role := range routes.DBRoles() {
		// The roles exist once any schema was migrated; a first run creates
		// them below.
		var exists bool
		if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)`, role).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists {
			if _, err := admin.Exec(ctx, "REVOKE rds_iam FROM "+role); err != nil {
				t.Fatal(err)
			}
		}
	}
	testsupport.MigratedSchema(t)
	for _, role := range routes.DBRoles() {
		var member bool
		if err := admin.QueryRow(ctx, `SELECT pg_has_role($1, 'rds_iam', 'MEMBER')`, role).Scan(&member); err != nil || !member {
			t.Errorf("%s is not a member of rds_iam (%v): RDS Proxy could not log it in with IAM", role, err)
		}
	}
}
