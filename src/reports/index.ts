export { barChart, escapeXml, funnelChart, lineChart, PALETTE, sparkline, stackedBarChart, type BarPoint, type StackSeries } from './charts.js';
