package sim

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// WriteTable writes r as a table for people: figure, measured value, fluid
// bound and their ratio where one applies.
func (r *Result) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s (seed %d): %s in %d pieces, %d honest leechers, %d hostile\n",
		r.Scenario, r.Seed, fmtBytes(r.FileBytes), r.Pieces, r.Leechers, r.Hostile)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "figure\tmeasured\tbound\tratio\t")
	tmin := r.Bound.Min
	bound := fmt.Sprintf("%.3f s", tmin)
	if !r.BoundApplies {
		bound = "n/a (churn)"
	}
	row := func(name string, v *float64) {
		ratio := "n/a"
		if v != nil && r.BoundApplies && tmin > 0 {
			ratio = fmt.Sprintf("%.3f", *v/tmin)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", name, fmtSecs(v), bound, ratio)
	}
	row("last completion", r.Last)
	row("p50 completion", r.P50)
	row("p95 completion", r.P95)
	row("mean completion", r.Mean)
	fmt.Fprintf(tw, "completed\t%d/%d\t\t\t\n", r.Completed, r.Leechers)
	if r.Utilisation != nil {
		fmt.Fprintf(tw, "upload utilisation\t%.3f\t1\t\t\n", *r.Utilisation)
	}
	if r.LeftIncomplete > 0 {
		fmt.Fprintf(tw, "left incomplete\t%d\t\t\t\n", r.LeftIncomplete)
	}
	fmt.Fprintf(tw, "origin egress multiple\t%.3f\t\t\t\n", r.EgressMultiple)
	fmt.Fprintf(tw, "overhead\t%.4f\t\t\t\n", r.Overhead)
	fmt.Fprintf(tw, "wasted\t%s\t\t\t\n", fmtBytes(r.WastedBytes))
	fmt.Fprintf(tw, "hostile banned\t%d/%d\t\t\t\n", r.Bans.HostileBanned, r.Bans.CorruptNodes+r.Bans.LiarNodes)
	fmt.Fprintf(tw, "honest banned\t%d\t0\t\t\n", r.Bans.HonestBanned)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "bound terms: F/u_s %.3f s, F/d_min %.3f s, N·F/(u_s+Σu_i) %.3f s; u_s+Σu_i = %.1f Mbit/s\n",
		r.Bound.Server, r.Bound.Download, r.Bound.Swarm, r.CapacityMbps)
	end := "every leecher done"
	if r.Capped {
		end = "duration cap"
	}
	fmt.Fprintf(&b, "run ended at %.3f s virtual (%s)\n", r.End, end)
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtSecs(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f s", *v)
}

// fmtBytes formats n with a binary unit.
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, u := float64(n), 0
	for f >= unit && u < 4 {
		f /= unit
		u++
	}
	return fmt.Sprintf("%.1f %s", f, [...]string{"B", "KiB", "MiB", "GiB", "TiB"}[u])
}

// SVG plot geometry.
const (
	svgW, svgH                  = 800, 420
	plotL, plotR, plotT, plotB  = 70, 730, 40, 360
	colShare, colOrigin, colMin = "#1f77b4", "#ff7f0e", "#888888"
)

// WriteSVG writes a plot of the completed share (left axis) and the origin
// egress rate (right axis) over virtual time, with T_min marked when the
// bound applies.
func (r *Result) WriteSVG(w io.Writer) error {
	var b strings.Builder
	var omax float64
	for _, s := range r.Series {
		omax = max(omax, s.OriginMbps)
	}
	title := fmt.Sprintf("shoal sim %s: %d leechers, %s", r.Scenario, r.Leechers, fmtBytes(r.FileBytes))
	x, yl, yr, xmax := startPlot(&b, r.End, omax, title, "completed share")
	if r.BoundApplies && r.Bound.Min <= xmax {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-dasharray="4 4"/>`+"\n",
			x(r.Bound.Min), plotT, x(r.Bound.Min), plotB, colMin)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="%s" text-anchor="middle">T_min</text>`+"\n", x(r.Bound.Min), plotT-4, colMin)
	}
	polyline(&b, r.Series, colShare, func(s Sample) (float64, float64) { return x(s.T), yl(s.Completed) })
	polyline(&b, r.Series, colOrigin, func(s Sample) (float64, float64) { return x(s.T), yr(s.OriginMbps) })
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">— completed share</text>`+"\n", plotL+10, plotT+16, colShare)
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">— origin egress (Mbit/s)</text>`+"\n", plotL+10, plotT+32, colOrigin)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// startPlot writes the SVG header, the title and the axes of a plot over
// virtual time [0, end] with a share (0 to 1) on the left axis and the
// origin egress rate, up to omax Mbit/s, on the right, and returns the
// coordinate functions and the x axis' end.
func startPlot(b *strings.Builder, end, omax float64, title, left string) (x, yl, yr func(float64) float64, xmax float64) {
	xmax, omax = niceCeil(end), niceCeil(omax)
	x = func(t float64) float64 { return plotL + (plotR-plotL)*t/xmax }
	yl = func(v float64) float64 { return plotB - (plotB-plotT)*v }
	yr = func(v float64) float64 { return plotB - (plotB-plotT)*v/omax }
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", svgW, svgH)
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgW, svgH)
	fmt.Fprintf(b, `<text x="%d" y="22" text-anchor="middle" font-size="14">%s</text>`+"\n", svgW/2, html.EscapeString(title))
	writeAxes(b, xmax, omax, x, yl, yr, left)
	return x, yl, yr, xmax
}

// writeAxes draws the frame, ticks and axis labels; left names the left
// axis (a share from 0 to 1), the right one is the origin egress rate.
func writeAxes(b *strings.Builder, xmax, omax float64, x, yl, yr func(float64) float64, left string) {
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="black"/>`+"\n",
		plotL, plotT, plotR-plotL, plotB-plotT)
	for i := 0; i <= 5; i++ {
		f := float64(i) / 5
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x(f*xmax), plotB+16, fmtTick(f*xmax))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", plotL-6, yl(f)+4, fmtTick(f))
		fmt.Fprintf(b, `<text x="%d" y="%.1f">%s</text>`+"\n", plotR+6, yr(f*omax)+4, fmtTick(f*omax))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">virtual time (s)</text>`+"\n", (plotL+plotR)/2, plotB+38)
	fmt.Fprintf(b, `<text transform="translate(22 %d) rotate(-90)" text-anchor="middle" fill="%s">%s</text>`+"\n",
		(plotT+plotB)/2, colShare, left)
	fmt.Fprintf(b, `<text transform="translate(%d %d) rotate(90)" text-anchor="middle" fill="%s">origin egress (Mbit/s)</text>`+"\n",
		svgW-18, (plotT+plotB)/2, colOrigin)
}

// polyline draws the series through xy.
func polyline[S any](b *strings.Builder, ss []S, color string, xy func(S) (float64, float64)) {
	if len(ss) == 0 {
		return
	}
	fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2" points="`, color)
	for i, s := range ss {
		px, py := xy(s)
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(b, "%.1f,%.1f", px, py)
	}
	b.WriteString(`"/>` + "\n")
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 for v <= 0).
func niceCeil(v float64) float64 {
	if !(v > 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func fmtTick(v float64) string { return fmtFloat(round(v, 3)) }
