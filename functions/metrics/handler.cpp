#include "handler.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <optional>
#include <sstream>

#include "log.hpp"

namespace metrics {

using namespace pnptv;

namespace {

std::string status_label(int status) { return status == 0 ? "other" : std::to_string(status); }

void add_request_series(prometheus::Registry& registry, const std::vector<RequestSeries>& series) {
    auto& requests = prometheus::BuildCounter()
                         .Name("pnptv_requests_total")
                         .Help("Requests answered, by function, route and status (every worker of the pool, since boot)")
                         .Register(registry);
    auto& latency = prometheus::BuildHistogram()
                        .Name("pnptv_request_duration_seconds")
                        .Help("Time from accepting a request to having written its answer")
                        .Register(registry);
    auto& denials = prometheus::BuildCounter()
                        .Name("pnptv_guard_denials_total")
                        .Help("Page loads the guard (auth-verify) refused, by status")
                        .Register(registry);
    const prometheus::Histogram::BucketBoundaries bounds(latency_buckets_seconds.begin(), latency_buckets_seconds.end());
    for (const auto& s : series) {
        prometheus::Labels labels = {{"function", s.function}, {"method", s.method}, {"route", s.route}, {"status", status_label(s.status)}};
        requests.Add(labels).Increment(static_cast<double>(s.count));
        latency.Add(labels, bounds).ObserveMultiple(std::vector<double>(s.buckets.begin(), s.buckets.end()), s.sum_seconds);
        if (s.function == "auth-verify" && s.status >= 400)
            denials.Add({{"status", status_label(s.status)}}).Increment(static_cast<double>(s.count));
    }
}

// One round trip for every business figure: (metric, label, value) rows.
constexpr const char* business_sql = R"SQL(
SELECT 'subscriptions', p.id, count(s.id)::float8
  FROM plans p LEFT JOIN subscriptions s ON s.plan_id = p.id AND s.status = 'active' GROUP BY p.id
UNION ALL SELECT 'live_streams', '', count(*)::float8 FROM live_streams WHERE status = 'live'
UNION ALL SELECT 'outbox_backlog', k.kind, count(o.id)::float8
  FROM (VALUES ('telegram'), ('email')) k (kind)
  LEFT JOIN outbox o ON o.kind = k.kind AND o.delivered_at IS NULL AND o.dead_at IS NULL GROUP BY k.kind
UNION ALL SELECT 'outbox_dead', k.kind, count(o.id)::float8
  FROM (VALUES ('telegram'), ('email')) k (kind)
  LEFT JOIN outbox o ON o.kind = k.kind AND o.dead_at IS NOT NULL GROUP BY k.kind
UNION ALL SELECT 'outbox_oldest_due', '', coalesce(extract(epoch FROM now() - min(next_attempt_at)), 0)::float8
  FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= now()
UNION ALL SELECT 'payment_references', coalesce(state, 'unverified'), count(*)::float8 FROM payment_references GROUP BY 2
)SQL";

struct Gauge {
    const char* name;
    const char* help;
    const char* label;  // the label its rows carry, or nullptr
};
const std::map<std::string, Gauge> business_gauges = {
    {"subscriptions", {"pnptv_subscriptions_active", "Active subscriptions, by plan", "plan"}},
    {"live_streams", {"pnptv_live_streams", "Live streams on air", nullptr}},
    {"outbox_backlog", {"pnptv_outbox_backlog", "Outbox rows waiting for delivery, by kind", "kind"}},
    {"outbox_dead", {"pnptv_outbox_dead", "Outbox rows given up on (admins can retry them), by kind", "kind"}},
    {"outbox_oldest_due", {"pnptv_outbox_oldest_due_seconds", "How long the oldest due outbox row has waited", nullptr}},
    {"payment_references", {"pnptv_payment_references", "ePayco references heard of, by the state ePayco's validation gave (unverified: not yet asked)", "state"}},
};

// False when PostgreSQL does not answer: the request figures are still worth a scrape.
bool add_business_gauges(prometheus::Registry& registry) {
    std::optional<PgResult> result;
    try {
        result.emplace(db().exec(business_sql));
    } catch (const std::exception& e) {
        log_event(LogLevel::warn, "metrics_database_unavailable", {{"error", e.what()}});
        return false;
    }
    const PgResult& rows = *result;
    std::map<std::string, prometheus::Family<prometheus::Gauge>*> families;
    for (const auto& [key, g] : business_gauges)
        families[key] = &prometheus::BuildGauge().Name(g.name).Help(g.help).Register(registry);
    for (int i = 0; i < rows.rows(); ++i) {
        const std::string key = rows.get(i, 0);
        auto gauge = business_gauges.find(key);
        if (gauge == business_gauges.end()) continue;
        prometheus::Labels labels;
        if (gauge->second.label) labels[gauge->second.label] = rows.get(i, 1);
        families[key]->Add(labels).Set(std::stod(rows.get(i, 2)));
    }
    return true;
}

Response get_metrics(const Settings& settings, const Request&, const PathParams&) {
    return Response::text(200, exposition(settings.metrics.dir), "text/plain; version=0.0.4; charset=utf-8");
}

const Router<Settings> routes({
    {"GET", std::string(metrics_path), get_metrics, body(0).internal_only()},
});

}  // namespace

std::string exposition(const std::string& dir) {
    prometheus::Registry registry;
    add_request_series(registry, read_request_series(dir));
    bool database_up = add_business_gauges(registry);
    prometheus::BuildGauge()
        .Name("pnptv_database_up")
        .Help("Whether PostgreSQL answered this scrape's query")
        .Register(registry)
        .Add({})
        .Set(database_up ? 1 : 0);
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry.Collect());
    return out.str();
}

Settings Settings::read(SettingsReader& r) { return {DatabaseSettings::read(r), MetricsSettings::read(r)}; }

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = make_function("metrics", routes);
    return f;
}

}  // namespace metrics
