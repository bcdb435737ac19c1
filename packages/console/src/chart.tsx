import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import type { Overview } from './types.js'

const COLORS = { scans: '#2563eb', deliveries: '#16a34a', latency: '#c2410c' }

/**
 * Scans and deliveries per hour (left axis) and the mean delivery latency (right axis) over the
 * last 24 h, drawn with uPlot on a canvas. The same figures are in the table below the chart for
 * screen readers and keyboard users.
 */
export function HourlyChart(props: { hourly: Overview['hourly'] }) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const element = box.current
    if (!element) return
    const data: uPlot.AlignedData = [
      props.hourly.map((h) => new Date(h.hour).getTime() / 1000),
      props.hourly.map((h) => h.scans),
      props.hourly.map((h) => h.deliveries),
      props.hourly.map((h) => (h.latencyMs === null ? null : h.latencyMs / 1000)),
    ]
    const width = () => Math.max(280, element.clientWidth)
    const plot = new uPlot(
      {
        width: width(),
        height: 260,
        // uPlot draws times in the browser's zone by default.
        series: [
          {},
          { label: 'Scans', stroke: COLORS.scans, width: 2 },
          { label: 'Deliveries', stroke: COLORS.deliveries, width: 2 },
          { label: 'Latency (s)', stroke: COLORS.latency, width: 2, dash: [6, 4], scale: 's' },
        ],
        axes: [{}, { label: 'per hour' }, { side: 1, scale: 's', label: 'latency, s', grid: { show: false } }],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] }, s: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1)] } },
      },
      data,
      element,
    )
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 260 }))
    resize.observe(element)
    return () => {
      resize.disconnect()
      plot.destroy()
    }
  }, [props.hourly])
  return (
    <div
      ref={box}
      class="chart"
      role="img"
      aria-label="Chart of scans, deliveries and delivery latency per hour over the last 24 hours; the figures are in the table that follows."
    />
  )
}
