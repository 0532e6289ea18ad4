// The only module that imports ECharts. ChartFrame loads it with a
// dynamic import, so ECharts lands in its own chunk, fetched on demand, and
// only the pieces registered here are bundled (tree-shaken echarts/core).
import { BarChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([LineChart, BarChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, SVGRenderer]);

export { echarts };
export type { EChartsType } from 'echarts/core';
