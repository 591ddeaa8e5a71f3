package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hasivu/infra/lambda/analytics"
)

// Summaries adapts orders and meal verifications to analytics.Store.
type Summaries struct{ Pool *pgxpool.Pool }

var _ analytics.Store = (*Summaries)(nil)

// Daily implements analytics.Store in one statement: every day of the
// range, the school's orders for it (an index-only range scan of
// orders_school_date_totals_idx) and its collected meals (a range scan of
// meal_verifications_school_date_idx), each aggregated by day.
func (s *Summaries) Daily(ctx context.Context, schoolID string, from, to time.Time) ([]analytics.Day, error) {
	defer observe(ctx, "analytics.daily", time.Now())
	rows, err := s.Pool.Query(ctx, `
		WITH o AS (
			SELECT delivery_date AS day,
			       count(*) FILTER (WHERE status <> 'cancelled') AS orders,
			       count(*) FILTER (WHERE status <> 'cancelled' AND payment_status = 'paid') AS paid,
			       coalesce(sum(total_paise) FILTER (WHERE status <> 'cancelled' AND payment_status = 'paid'), 0) AS revenue
			FROM orders WHERE school_id = $1 AND delivery_date BETWEEN $2 AND $3
			GROUP BY delivery_date),
		m AS (
			SELECT service_date AS day, count(*) AS meals
			FROM meal_verifications WHERE school_id = $1 AND service_date BETWEEN $2 AND $3
			GROUP BY service_date)
		SELECT d.day::date, coalesce(o.orders, 0), coalesce(o.paid, 0), coalesce(m.meals, 0), coalesce(o.revenue, 0)
		FROM generate_series($2::date, $3::date, interval '1 day') AS d(day)
		LEFT JOIN o ON o.day = d.day::date
		LEFT JOIN m ON m.day = d.day::date
		ORDER BY d.day`, schoolID, from, to)
	if err != nil {
		return nil, classify(err, "load daily summary")
	}
	defer rows.Close()
	days := []analytics.Day{}
	for rows.Next() {
		var d analytics.Day
		var day time.Time
		if err := rows.Scan(&day, &d.Orders, &d.PaidOrders, &d.MealsCollected, &d.RevenuePaise); err != nil {
			return nil, classify(err, "scan daily summary")
		}
		d.Date = day.Format(time.DateOnly)
		days = append(days, d)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err, "load daily summary")
	}
	return days, nil
}
