// The one formatting vocabulary of syncwatch: pages, emails, reports and webhooks show
// numbers, money, percentages and times through these functions only.
export { formatMoney, formatNumber, formatPercent } from './numbers.js';
export { formatAgo, formatTime } from './time.js';
export { formatDuration } from './duration.js';
export { numberFormat } from './intl.js';
export { describeMoney, unconvertedAmounts, type MoneyFigure } from './money.js';
