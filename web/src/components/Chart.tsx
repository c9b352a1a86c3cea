import { BarChart, LineChart } from "echarts/charts";
import {
  AriaComponent,
  DatasetComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
} from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

echarts.use([
  BarChart,
  LineChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  DatasetComponent,
  AriaComponent,
  CanvasRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;

/**
 * ECharts in a div, for this page and the dashboards to come. Loaded lazily (React.lazy), so the
 * library stays out of the first bundle. Pages give it a label and show the numbers in a table too. Under the strict CSP: the canvas renderer only touches
 * element.style through the CSSOM, and tooltips render as rich text on the canvas instead of as HTML
 * with style attributes.
 */
export default function Chart({
  option,
  label,
  size = "md",
}: {
  option: ChartOption;
  label: string;
  size?: "sm" | "md" | "lg";
}) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!ref.current) return;
    const c = echarts.init(ref.current, undefined, { renderer: "canvas" });
    chart.current = c;
    const observer = new ResizeObserver(() => c.resize());
    observer.observe(ref.current);
    return () => {
      observer.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(
      {
        textStyle: { fontFamily: "inherit" },
        ...option,
        tooltip: { renderMode: "richText", ...(option.tooltip as object | undefined) },
      },
      { notMerge: true },
    );
  }, [option]);
  // The label is the accessible name; ECharts' own aria text would replace it on its element, so the
  // chart draws into an inner element.
  return (
    <div className={`chart chart-${size}`} role="img" aria-label={label}>
      <div ref={ref} className="chart-canvas" />
    </div>
  );
}
