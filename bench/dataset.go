package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hasivu/infra/lambda/migrations"
)

// scale is the data set's size and identity.
type scale struct {
	Schools, Students, Orders int
	DaysBack, DaysAhead       int
	Seed                      uint64
	Today                     string
}

func (s scale) String() string {
	return fmt.Sprintf("%d schools, %d students, %d orders (%d days back, %d ahead; seed %d, today %s)",
		s.Schools, s.Students, s.Orders, s.DaysBack, s.DaysAhead, s.Seed, s.Today)
}

// manifest is the part of the seed's manifest (lambda/cmd/seed) the
// harness uses.
type manifest struct {
	Seed      uint64   `json:"seed"`
	Today     string   `json:"today"`
	Password  string   `json:"password"`
	MenuDates []string `json:"menuDates"`
	Schools   []struct {
		ID     string  `json:"id"`
		Weight float64 `json:"weight"`
	} `json:"schools"`
	Parents []struct {
		Email    string `json:"email"`
		UserID   string `json:"userId"`
		Students []struct {
			ID       string `json:"id"`
			SchoolID string `json:"schoolId"`
		} `json:"students"`
	} `json:"parents"`
	Staff []struct {
		UserID   string `json:"userId"`
		SchoolID string `json:"schoolId"`
	} `json:"staff"`
	Admins []struct {
		UserID   string `json:"userId"`
		SchoolID string `json:"schoolId"`
	} `json:"admins"`
	RFIDCards []struct {
		CardNumber string `json:"cardNumber"`
		SchoolID   string `json:"schoolId"`
	} `json:"rfidCards"`
	UnpaidOrders []struct {
		OrderID string `json:"orderId"`
		UserID  string `json:"userId"`
	} `json:"unpaidOrders"`
}

// check says what the harness cannot work without.
func (m *manifest) check() error {
	switch {
	case len(m.Schools) == 0 || len(m.Parents) == 0 || len(m.MenuDates) == 0:
		return errors.New("the manifest lists no schools, parents or menu dates")
	case len(m.Staff) == 0 || m.Staff[0].UserID == "":
		return errors.New("the manifest's staff have no user ids (seeded by an older generator)")
	case len(m.Admins) != len(m.Schools):
		return errors.New("the manifest lists no school administrators (seeded by an older generator)")
	case len(m.UnpaidOrders) == 0 || m.UnpaidOrders[0].UserID == "":
		return errors.New("the manifest's unpaid orders have no owners (seeded by an older generator)")
	case len(m.RFIDCards) == 0:
		return errors.New("the manifest lists no RFID cards with a paid order today")
	}
	return nil
}

// dbURL returns the URL of database name on the server of base; an
// empty name is base's own database.
func dbURL(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("-postgres: %w", err)
	}
	if name != "" {
		u.Path = "/" + name
	}
	return u.String(), nil
}

// connect opens one connection.
func connect(ctx context.Context, base, name string) (*pgx.Conn, error) {
	u, err := dbURL(base, name)
	if err != nil {
		return nil, err
	}
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", name, err)
	}
	return c, nil
}

// readMeta returns what the database was seeded with and its manifest,
// or a reason it holds no usable data set.
func readMeta(ctx context.Context, base, name string) (scale, *manifest, error) {
	c, err := connect(ctx, base, name)
	if err != nil {
		return scale{}, nil, err
	}
	defer c.Close(ctx)
	var exists bool
	if err := c.QueryRow(ctx, `SELECT to_regclass('seed_meta') IS NOT NULL`).Scan(&exists); err != nil {
		return scale{}, nil, err
	}
	if !exists {
		return scale{}, nil, errors.New("not seeded (no seed_meta table)")
	}
	var s scale
	var seed int64
	var today time.Time
	var raw []byte
	err = c.QueryRow(ctx, `SELECT seed, today, schools, students, orders, days_back, days_ahead, manifest FROM seed_meta`).
		Scan(&seed, &today, &s.Schools, &s.Students, &s.Orders, &s.DaysBack, &s.DaysAhead, &raw)
	if err != nil {
		return scale{}, nil, fmt.Errorf("read seed_meta: %w", err)
	}
	s.Seed, s.Today = uint64(seed), today.Format(time.DateOnly)
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return s, nil, fmt.Errorf("seed_meta manifest: %w", err)
	}
	return s, &m, m.check()
}

// ensureDataset makes sure database name holds the data set want and
// returns its manifest, seeding it (with the seed binary) when it is
// missing, of another size or day, or incomplete.
// migrateDataset applies the migrations the data set's schema lacks, as a
// deploy would, so that a data set seeded by an earlier release serves
// this one. It returns the versions it applied.
func migrateDataset(ctx context.Context, base, name string) ([]int64, error) {
	u, err := dbURL(base, name)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, u)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	res, err := migrations.Apply(ctx, pool)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", name, err)
	}
	return res.Applied, nil
}

func ensureDataset(ctx context.Context, base, name string, want scale, seedBin string, p *progress) (*manifest, bool, error) {
	admin, err := connect(ctx, base, "")
	if err != nil {
		return nil, false, err
	}
	var exists bool
	err = admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	if err == nil && !exists {
		p.Log("creating database %s", name)
		_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	}
	admin.Close(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("database %s: %w", name, err)
	}
	have, m, err := readMeta(ctx, base, name)
	if err == nil && have == want {
		return m, false, nil
	}
	reason := "it holds " + have.String()
	if err != nil {
		reason = err.Error()
	}
	p.Log("seeding %s with %s: %s", name, want, reason)
	u, err := dbURL(base, name)
	if err != nil {
		return nil, false, err
	}
	cmd := exec.CommandContext(ctx, seedBin, "-reset", "-database-url", u, "-today", want.Today,
		"-schools", fmt.Sprint(want.Schools), "-students", fmt.Sprint(want.Students), "-orders", fmt.Sprint(want.Orders),
		"-days-back", fmt.Sprint(want.DaysBack), "-days-ahead", fmt.Sprint(want.DaysAhead), "-seed", fmt.Sprint(want.Seed))
	logs, err := cmd.StderrPipe()
	if err != nil {
		return nil, false, err
	}
	if err := cmd.Start(); err != nil {
		return nil, false, fmt.Errorf("seed: %w", err)
	}
	var tail []string
	sc := bufio.NewScanner(logs)
	for sc.Scan() {
		line := sc.Text()
		p.Detail("seeding %s: %s", name, strings.TrimSpace(line[min(len(line), 20):]))
		tail = append(tail, line)
		if len(tail) > 20 {
			tail = tail[1:]
		}
	}
	_, _ = io.Copy(io.Discard, logs)
	if err := cmd.Wait(); err != nil {
		return nil, false, fmt.Errorf("seed %s: %v\n%s", name, err, strings.Join(tail, "\n"))
	}
	have, m, err = readMeta(ctx, base, name)
	if err != nil {
		return nil, false, fmt.Errorf("after seeding %s: %w", name, err)
	}
	if have != want {
		return nil, false, fmt.Errorf("after seeding, %s holds %s, not %s", name, have, want)
	}
	return m, true, nil
}

// copyDatabase makes scratch a fresh copy of name: every run writes
// (orders, payments, meal verifications) and drops indexes in its own
// copy, so the seeded data set stays as seeded. A copy left by an
// interrupted run is replaced.
func copyDatabase(ctx context.Context, base, name, scratch string) error {
	admin, err := connect(ctx, base, "")
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{scratch}.Sanitize()); err != nil {
		return fmt.Errorf("drop %s: %w", scratch, err)
	}
	var version int
	if err := admin.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		return err
	}
	stmt := fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", pgx.Identifier{scratch}.Sanitize(), pgx.Identifier{name}.Sanitize())
	if version >= 150000 {
		// A file copy: far faster than WAL-logging every block of a large
		// database.
		stmt += " STRATEGY FILE_COPY"
	}
	if _, err := admin.Exec(ctx, stmt); err != nil {
		var others int
		_ = admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`, name).Scan(&others)
		if others > 0 {
			return fmt.Errorf("copy %s: %w (%d other sessions are connected to it; close them)", name, err, others)
		}
		return fmt.Errorf("copy %s: %w", name, err)
	}
	return nil
}

// dropDatabase removes the scratch copy.
func dropDatabase(base, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := connect(ctx, base, "")
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}
