package sim

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// colContinuity is the colour of the continuity line in live plots.
const colContinuity = "#2ca02c"

// WriteTable writes r as a table for people: figure, measured value and
// the fluid bound beside it where one applies.
func (r *LiveResult) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s (seed %d): %.3g Mbit/s in %d rendition(s), %d segments of %.3g s, target latency %.3g s\n",
		r.Scenario, r.Seed, r.Bound.RateMbps, r.Renditions, r.Segments, r.SegmentS, r.TargetLatencyS)
	fmt.Fprintf(&b, "%d honest viewers (%d left), %d hostile\n", r.Viewers, r.Left, r.Hostile)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "figure\tmeasured\tbound\t")
	bound := func(s string) string {
		if !r.BoundApplies {
			return "n/a (churn)"
		}
		return s
	}
	fmt.Fprintf(tw, "peer offload\t%.4f\t%s\t\n", r.Offload, bound(fmt.Sprintf("%.4f", 1-r.Bound.OriginFloor/float64(max(r.Bound.Viewers, 1)))))
	fmt.Fprintf(tw, "origin egress multiple\t%.3f\t%s\t\n", r.EgressMultiple, bound(fmt.Sprintf("%.3f", r.Bound.OriginFloor)))
	fmt.Fprintf(tw, "  of which segment bodies\t%.3f\t\t\n", r.MediaMultiple)
	fmt.Fprintf(tw, "  announcement polls\t%s\t\t\n", fmtBytes(r.OriginPoll))
	fmt.Fprintf(tw, "continuity index\t%.4f\t1\t\n", r.Continuity)
	fmt.Fprintf(tw, "  late / missing of due\t%d / %d of %d\t\t\n", r.Late, r.Missing, r.Due)
	fmt.Fprintf(tw, "  worst viewer\t%.4f\t1\t\n", r.WorstViewer)
	fmt.Fprintf(tw, "rebuffer ratio\t%.5f\t0\t\n", r.Rebuffer)
	fmt.Fprintf(tw, "startup p50 / p95\t%s / %s\t\t\n", fmtSecs(r.StartupP50), fmtSecs(r.StartupP95))
	lagBound := fmt.Sprintf("%.3f s", r.TargetLatencyS)
	fmt.Fprintf(tw, "lag p50 / p95\t%s / %s\t%s\t\n", fmtSecs(r.LagP50), fmtSecs(r.LagP95), lagBound)
	fmt.Fprintf(tw, "added lag p50 / p95\t%s / %s\t0\t\n", fmtSecs(r.AddedLagP50), fmtSecs(r.AddedLagP95))
	fmt.Fprintf(tw, "spread p95\t%s\t0\t\n", fmtSecs(r.SpreadP95))
	fmt.Fprintf(tw, "overhead\t%.4f\t\t\n", r.Overhead)
	fmt.Fprintf(tw, "wasted\t%s\t\t\n", fmtBytes(r.WastedBytes))
	fmt.Fprintf(tw, "hostile banned\t%d/%d\t\t\n", r.Bans.HostileBanned, r.Bans.CorruptNodes+r.Bans.LiarNodes)
	fmt.Fprintf(tw, "honest banned\t%d\t0\t\n", r.Bans.HonestBanned)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "bound: r = %.3f Mbit/s, u_s = %.1f, Σu_i = %.1f over n = %d: sustainable min(u_s, (u_s+Σu_i)/n) = %.3f Mbit/s\n",
		r.Bound.RateMbps, r.Bound.SourceMbps, r.Bound.ViewersUpMbps, r.Bound.Viewers, r.Bound.SustainableMbps)
	fmt.Fprintf(&b, "run ended at %.3f s virtual\n", r.End)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteSVG writes a plot of the peer offload and the continuity index
// (left axis) and the origin egress rate (right axis) over virtual time.
func (r *LiveResult) WriteSVG(w io.Writer) error {
	var b strings.Builder
	var omax float64
	for _, s := range r.Series {
		omax = max(omax, s.OriginMbps)
	}
	title := fmt.Sprintf("shoal sim %s: %d viewers, %.3g Mbit/s live", r.Scenario, r.Viewers, r.Bound.RateMbps)
	x, yl, yr, _ := startPlot(&b, r.End, omax, title, "share")
	var offload []LiveSample
	for _, s := range r.Series {
		if s.Offload != nil {
			offload = append(offload, s)
		}
	}
	polyline(&b, offload, colShare, func(s LiveSample) (float64, float64) { return x(s.T), yl(*s.Offload) })
	polyline(&b, r.Series, colContinuity, func(s LiveSample) (float64, float64) { return x(s.T), yl(s.Continuity) })
	polyline(&b, r.Series, colOrigin, func(s LiveSample) (float64, float64) { return x(s.T), yr(s.OriginMbps) })
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">— peer offload</text>`+"\n", plotL+10, plotT+16, colShare)
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">— continuity index so far</text>`+"\n", plotL+10, plotT+32, colContinuity)
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">— origin egress (Mbit/s)</text>`+"\n", plotL+10, plotT+48, colOrigin)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
