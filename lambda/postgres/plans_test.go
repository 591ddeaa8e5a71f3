package postgres

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/testsupport"
)

// Sizes of the plan gate's data set: a few thousand parents with a term's
// orders each, so that a user's orders are a sliver of the table (1 in
// gateParents) and a sequential scan costs the planner hundreds of times
// an index scan, as in production.
const (
	gateSchools         = 20
	gateParents         = 2000
	gateOrdersPerParent = 10
)

// gateArgs are representative parameters of each statement in Indexed:
// values the data set holds, as a request would send them.
func gateArgs(today time.Time) map[string][]any {
	user := gateID("u", 42)
	return map[string][]any{
		ordersList.Name:             {user, 21, 0},
		ordersCount.Name:            {user},
		ordersByIdempotencyKey.Name: {user, "key-42-3"},
		rfidVerify.Name:             {"CARD-42", today, "reader-1", gateID("s", 42%gateSchools), today, SchoolVersions, gateID("u", 1)},
	}
}

// gateID is the id the data set gives the n-th row of a kind.
func gateID(kind string, n int) string {
	s := (hex.EncodeToString(fmt.Appendf(nil, "%s%d", kind, n)) + strings.Repeat("0", 32))[:32]
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// TestIndexedQueriesUseTheirIndex is the plan gate: every statement in
// Indexed must be planned on its declared index with an Index Cond, so a
// rewrite the index cannot serve (user_id::text = $1::text, a function
// around the column, a changed ORDER BY) fails here, not in production.
//
// The planner decides on a data set of realistic shape, analysed, with
// its settings as they are: not with enable_seqscan off. Turning
// sequential scans off would make it choose an index whatever the costs,
// so a plan that production's planner would not pick could pass; and
// for a predicate no index can serve it still picks an index, scanned
// whole with a Filter, which is why the assertion asks for an Index Cond
// on the declared index, not merely the index's name in the plan. The
// data set (gateParents parents with gateOrdersPerParent orders each, a
// student, a card and a menu item each) is what makes the costs honest:
// a user's orders are 1/gateParents of the table, as they are among
// millions, and it loads in a few seconds (the foreign-key triggers off).
func TestIndexedQueriesUseTheirIndex(t *testing.T) {
	ctx := context.Background()
	pool := testsupport.Pool(t, testsupport.MigratedSchema(t))
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	sizes := strings.NewReplacer("@schools", fmt.Sprint(gateSchools), "@parents", fmt.Sprint(gateParents),
		"@perParent", fmt.Sprint(gateOrdersPerParent), "@today", "'"+today.Format(time.DateOnly)+"'")
	for _, sql := range []string{
		// The rows are consistent by construction: skip the foreign-key
		// triggers, which would double the load's time.
		`SET session_replication_role = replica`,
		`CREATE FUNCTION pg_temp.gate_id(kind text, n int) RETURNS uuid LANGUAGE sql IMMUTABLE AS
			$$ SELECT (substr(encode(convert_to(kind || n, 'UTF8'), 'hex') || repeat('0', 32), 1, 32))::uuid $$`,
		`INSERT INTO schools (id, code, name, city)
			SELECT pg_temp.gate_id('s', n), 'S' || n, 'School ' || n, 'Pune' FROM generate_series(0, @schools - 1) n`,
		`INSERT INTO users (id, email, password_hash, first_name, last_name, role, status)
			SELECT pg_temp.gate_id('u', n), 'p' || n || '@gate.example', 'x', 'P', 'P' || n, 'parent', 'active'
			FROM generate_series(0, @parents - 1) n`,
		`INSERT INTO students (id, school_id, parent_id, first_name, last_name, grade, section)
			SELECT pg_temp.gate_id('t', n), pg_temp.gate_id('s', n % @schools), pg_temp.gate_id('u', n), 'S', 'S' || n, '4', 'A'
			FROM generate_series(0, @parents - 1) n`,
		`INSERT INTO menu_items (id, school_id, name, category, price_paise)
			SELECT pg_temp.gate_id('m', n), pg_temp.gate_id('s', n), 'Thali', 'lunch', 5000 FROM generate_series(0, @schools - 1) n`,
		`INSERT INTO rfid_cards (card_number, student_id, school_id)
			SELECT 'CARD-' || n, pg_temp.gate_id('t', n), pg_temp.gate_id('s', n % @schools) FROM generate_series(0, @parents - 1) n`,
		`INSERT INTO orders (user_id, student_id, school_id, delivery_date, status, payment_status, total_paise,
		                    idempotency_key, created_at)
			SELECT pg_temp.gate_id('u', n), pg_temp.gate_id('t', n), pg_temp.gate_id('s', n % @schools), @today::date - k,
			       'confirmed', 'paid', 5000, 'key-' || n || '-' || k, @today::date - k + interval '8 hours'
			FROM generate_series(0, @parents - 1) n, generate_series(0, @perParent - 1) k`,
		`INSERT INTO order_items (order_id, menu_item_id, quantity, unit_price_paise)
			SELECT o.id, m.id, 1, 5000 FROM orders o JOIN menu_items m ON m.school_id = o.school_id`,
		`RESET session_replication_role`,
		`ANALYZE schools, users, students, menu_items, rfid_cards, orders, order_items`,
	} {
		if _, err := conn.Exec(ctx, sizes.Replace(sql)); err != nil {
			t.Fatalf("load the data set: %v\n%s", err, sql)
		}
	}
	args := gateArgs(today)
	for _, q := range Indexed {
		t.Run(q.Name, func(t *testing.T) {
			a, ok := args[q.Name]
			if !ok {
				t.Fatalf("%s declares index %s but gateArgs has no parameters for it", q.Name, q.Index)
			}
			var out []byte
			if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q.SQL, a...).Scan(&out); err != nil {
				t.Fatalf("EXPLAIN %s: %v", q.Name, err)
			}
			var plans []struct{ Plan planNode }
			if err := json.Unmarshal(out, &plans); err != nil || len(plans) != 1 {
				t.Fatalf("EXPLAIN %s: %v: %s", q.Name, err, out)
			}
			if !plans[0].Plan.reaches(q.Index) {
				t.Errorf("%s is not planned on %s with an Index Cond (written for it: see postgres.Indexed); plan:\n%s",
					q.Name, q.Index, plans[0].Plan.outline(""))
			}
		})
	}
}

// planNode is one node of EXPLAIN (FORMAT JSON).
type planNode struct {
	Type      string     `json:"Node Type"`
	Index     string     `json:"Index Name"`
	Relation  string     `json:"Relation Name"`
	IndexCond string     `json:"Index Cond"`
	Filter    string     `json:"Filter"`
	Plans     []planNode `json:"Plans"`
}

// reaches reports whether a node of the plan uses index with an Index
// Cond.
func (n planNode) reaches(index string) bool {
	if n.Index == index && n.IndexCond != "" {
		return true
	}
	for _, c := range n.Plans {
		if c.reaches(index) {
			return true
		}
	}
	return false
}

// outline is the plan one node a line, for the failure message.
func (n planNode) outline(indent string) string {
	s := indent + n.Type
	for _, kv := range [][2]string{{"on", n.Relation}, {"using", n.Index}, {"Index Cond", n.IndexCond}, {"Filter", n.Filter}} {
		if kv[1] != "" {
			s += " " + kv[0] + " " + kv[1]
		}
	}
	s += "\n"
	for _, c := range n.Plans {
		s += c.outline(indent + "  ")
	}
	return s
}
