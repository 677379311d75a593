package gateway

import "github.com/prometheus/client_golang/prometheus"

// metric is one Prometheus series read from Stats.
type metric struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(Stats) (float64, bool) // false: not measured yet, not exported
}

// collector exports Stats as shoal_gateway_* metrics at each scrape.
type collector struct {
	s       *Server
	metrics []metric
}

var _ prometheus.Collector = (*collector)(nil)

func newCollector(s *Server) *collector {
	always := func(f func(Stats) float64) func(Stats) (float64, bool) {
		return func(st Stats) (float64, bool) { return f(st), true }
	}
	m := func(name, help string, kind prometheus.ValueType, v func(Stats) (float64, bool)) metric {
		return metric{desc: prometheus.NewDesc("shoal_gateway_"+name, help, nil, nil), kind: kind, value: v}
	}
	c, g := prometheus.CounterValue, prometheus.GaugeValue
	return &collector{s: s, metrics: []metric{
		m("playlists_served_total", "Playlists answered.", c, always(func(st Stats) float64 { return float64(st.PlaylistsServed) })),
		m("segments_served_total", "Segments served to players.", c, always(func(st Stats) float64 { return float64(st.SegmentsServed) })),
		m("bytes_served_total", "Segment bytes served to players.", c, always(func(st Stats) float64 { return float64(st.BytesServed) })),
		m("players", "Distinct players seen in the last 30 s.", g, always(func(st Stats) float64 { return float64(st.Players) })),
		m("stalls_total", "Times a playlist was held back by a segment not ready at the playhead.", c, always(func(st Stats) float64 { return float64(st.Stalls) })),
		m("stall_seconds_total", "Time playlists were held back, including a stall under way.", c, always(func(st Stats) float64 { return st.StallTime.Seconds() })),
		m("stalled", "1 while a stall is under way.", g, always(func(st Stats) float64 { return b2f(st.Stalled) })),
		m("target_latency_seconds", "Configured latency behind the broadcaster.", g, always(func(st Stats) float64 { return st.TargetLatency.Seconds() })),
		m("startup_seconds", "First playlist request to first segment served.", g, func(st Stats) (float64, bool) { return st.Startup.Seconds(), st.Started }),
		m("broadcaster_lag_seconds", "Now minus the broadcaster time of the segment fetched last.", g, func(st Stats) (float64, bool) { return st.BroadcasterLag.Seconds(), st.Started }),
		m("live_edge_lag_seconds", "Now minus the end of the newest listed segment.", g, func(st Stats) (float64, bool) { return st.LiveEdgeLag.Seconds(), st.Listed }),
	}}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- m.desc
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	for _, m := range c.metrics {
		if v, ok := m.value(st); ok {
			ch <- prometheus.MustNewConstMetric(m.desc, m.kind, v)
		}
	}
}
