import { useEffect, useMemo, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { CHANNELS, type Channel } from '../../../shared/domain.js';
import type { BoardCharts as Charts } from '../../../shared/charts.js';
import { REPORT_WORDS, type ReportLanguage } from '../../../shared/reports.js';
import { formatClock, type Translate, zoneName } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import type { UiError } from '../store/types.js';
import { errorText } from './errorText.js';

/**
 * The Board's trend charts (issue 11), drawn with uPlot (docs/technical/renderer.md, "Board
 * charts", says why that library): contacts per hour per channel today against the same
 * weekday last week, and SLA compliance per due day over 14 days. A canvas says nothing to a
 * screen reader, so each chart is an image with a short description and a data table with
 * every number under a disclosure that the keyboard opens.
 */
export function BoardCharts() {
  const t = useT();
  const { charts, loading, error, language, loadBoardCharts } = useAppStore(
    useShallow((s) => ({
      charts: s.boardCharts,
      loading: s.boardChartsLoading,
      error: s.boardChartsError,
      language: s.language,
      loadBoardCharts: s.loadBoardCharts,
    })),
  );
  const lang: ReportLanguage = language === 'en' ? 'en' : 'zh';
  const refreshBoardChartsIfDue = useAppStore((s) => s.refreshBoardChartsIfDue);
  // The board is pushed only when its figures change; a quiet hour still moves the charts
  // (an hour begins, a ticket falls due), so the open view also checks now and then.
  useEffect(() => {
    const timer = setInterval(() => refreshBoardChartsIfDue(Date.now()), CHART_CHECK_MS);
    return () => clearInterval(timer);
  }, [refreshBoardChartsIfDue]);
  return (
    <section className="board-charts" aria-labelledby="board-charts-title">
      <div className="reports-toolbar">
        <h3 id="board-charts-title">{t('charts.title')}</h3>
        <button type="button" onClick={() => void loadBoardCharts()} disabled={loading}>
          {loading ? t('charts.refreshing') : t('charts.refresh')}
        </button>
        {charts ? (
          <span className="muted small" role="status" data-testid="charts-as-of">
            {t('charts.updated', { at: formatClock(language, charts.asOf), zone: zoneName(t, charts.timeZone) })}
          </span>
        ) : null}
      </div>
      {error ? (
        <p className="error" role="alert">
          {chartsErrorText(t, error)}
        </p>
      ) : null}
      {charts ? (
        <>
          <div className="board-charts-grid">
            <HourlyChart charts={charts} lang={lang} t={t} />
            <SlaChart charts={charts} t={t} />
          </div>
          <p className="muted small reports-notes">{t('charts.notes', { zone: zoneName(t, charts.timeZone) })}</p>
        </>
      ) : error ? null : (
        <p className="muted">{t('charts.loading')}</p>
      )}
    </section>
  );
}

function chartsErrorText(t: Translate, error: UiError): string {
  return error.code === 'offline' || error.code === 'server_unreachable' ? t('charts.needsServer') : errorText(t, error);
}

/** One colour per channel (Okabe–Ito, told apart with colour-blindness too); last week is the same colour, dashed. */
const CHANNEL_COLOURS: Record<Channel, string> = { phone: '#0072B2', chat: '#D55E00', social: '#009E73', email: '#CC79A7' };
const SLA_COLOUR = '#1f5fd1';
/** How often the open view checks whether CHART_REFRESH_MS has passed (it asks only then). */
const CHART_CHECK_MS = 15_000;
const CHART_HEIGHT = 240;

/** The page's own font (CJK through the system's fonts, e.g. WenQuanYi Micro Hei) and colours, for the canvas. */
function chartLook(): { font: string; text: string; grid: string } {
  const style = getComputedStyle(document.documentElement);
  const family = style.getPropertyValue('--font').trim() || 'sans-serif';
  return { font: `12px ${family}`, text: style.getPropertyValue('--muted').trim() || '#5b6776', grid: style.getPropertyValue('--border').trim() || '#dce1e8' };
}

function axis(look: ReturnType<typeof chartLook>, label: string, extra: Partial<uPlot.Axis>): uPlot.Axis {
  return {
    label,
    font: look.font,
    labelFont: look.font,
    stroke: look.text,
    grid: { stroke: look.grid, width: 1 },
    ticks: { stroke: look.grid, width: 1 },
    ...extra,
  };
}

const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000];

function HourlyChart({ charts, lang, t }: { charts: Charts; lang: ReportLanguage; t: Translate }) {
  const words = REPORT_WORDS[lang];
  const build = useMemo(() => {
    const hours = Array.from({ length: 24 }, (_, hour) => hour);
    const data: uPlot.AlignedData = [hours, ...charts.hourly.flatMap((series) => [series.today, series.comparison])];
    // Per uPlot series (the first is the x axis): today filled in its channel's colour, last week hollow.
    const markerFills = [null, ...charts.hourly.flatMap((series) => [CHANNEL_COLOURS[series.channel], null])];
    return (width: number): { options: uPlot.Options; data: uPlot.AlignedData } => {
      const look = chartLook();
      const count = (_u: uPlot, value: number | null) => (value === null ? '—' : String(value));
      return {
        data,
        options: {
          width,
          height: CHART_HEIGHT,
          // Today's markers are filled, last week's (the dashed lines) hollow and dashed: told apart without colour.
          legend: {
            live: false,
            markers: {
              dash: (u, index) => (u.series[index]?.dash ? 'dashed' : 'solid'),
              fill: (_u, index) => markerFills[index] ?? 'transparent',
            },
          },
          scales: { x: { time: false, range: [0, 23] }, y: { range: (_u, _min, max) => [0, Math.max(4, max)] } },
          axes: [
            axis(look, t('charts.hour', { zone: zoneName(t, charts.timeZone) }), {
              incrs: [1, 2, 3, 4, 6],
              values: (_u, splits) => splits.map((hour) => t('charts.hourLabel', { hour })),
            }),
            axis(look, t('charts.contacts'), { incrs: INTEGER_STEPS, values: (_u, splits) => splits.map((value) => String(value)), size: 48 }),
          ],
          series: [
            { label: t('charts.hour', { zone: zoneName(t, charts.timeZone) }), value: (_u, hour) => (hour === null ? '—' : t('charts.hourLabel', { hour })) },
            ...charts.hourly.flatMap((series): uPlot.Series[] => [
              { label: t('charts.seriesToday', { channel: words.channel[series.channel] }), stroke: CHANNEL_COLOURS[series.channel], width: 2, value: count },
              {
                label: t('charts.seriesLastWeek', { channel: words.channel[series.channel] }),
                stroke: CHANNEL_COLOURS[series.channel],
                width: 1.5,
                dash: [6, 4],
                points: { show: false },
                value: count,
              },
            ]),
          ],
        },
      };
    };
  }, [charts, t, words]);
  const title = t('charts.hourlyTitle', { day: charts.day, comparisonDay: charts.comparisonDay });
  return (
    <figure className="board-chart" aria-labelledby="chart-hourly-title">
      <figcaption id="chart-hourly-title">{title}</figcaption>
      <UPlotCanvas build={build} description={t('charts.hourlyAlt')} />
      <details className="board-chart-data">
        <summary>{t('charts.tableOf', { what: t('charts.hourlyTable') })}</summary>
        <HourlyTable charts={charts} lang={lang} t={t} />
      </details>
    </figure>
  );
}

function HourlyTable({ charts, lang, t }: { charts: Charts; lang: ReportLanguage; t: Translate }) {
  const words = REPORT_WORDS[lang];
  const byChannel = new Map(charts.hourly.map((series) => [series.channel, series]));
  const channels = CHANNELS.filter((channel) => byChannel.has(channel));
  const total = (values: ReadonlyArray<number | null>) => values.reduce<number>((sum, value) => sum + (value ?? 0), 0);
  return (
    <table className="reports-table board-chart-table" aria-label={t('charts.hourlyTable')} data-chart="hourly">
      <thead>
        <tr>
          <th scope="col" rowSpan={2}>
            {t('charts.hour', { zone: zoneName(t, charts.timeZone) })}
          </th>
          {channels.map((channel) => (
            <th key={channel} scope="colgroup" colSpan={2}>
              {words.channel[channel]}
            </th>
          ))}
        </tr>
        <tr>
          {channels.map((channel) => [
            <th key={`${channel}-today`} scope="col" className="num">
              {t('charts.today')}
            </th>,
            <th key={`${channel}-comparison`} scope="col" className="num">
              {t('charts.lastWeek')}
            </th>,
          ])}
        </tr>
      </thead>
      <tbody>
        {Array.from({ length: 24 }, (_, hour) => (
          <tr key={hour} data-hour={hour}>
            <th scope="row">{t('charts.hourLabel', { hour })}</th>
            {channels.map((channel) => {
              const series = byChannel.get(channel)!;
              const today = series.today[hour] ?? null;
              return [
                <td key={`${channel}-today`} className="num" data-channel={channel} data-series="today">
                  {today === null ? t('charts.notYet') : today}
                </td>,
                <td key={`${channel}-comparison`} className="num" data-channel={channel} data-series="comparison">
                  {series.comparison[hour]}
                </td>,
              ];
            })}
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr data-hour="total">
          <th scope="row">{t('charts.total')}</th>
          {channels.map((channel) => {
            const series = byChannel.get(channel)!;
            return [
              <td key={`${channel}-today`} className="num" data-channel={channel} data-series="today">
                {total(series.today)}
              </td>,
              <td key={`${channel}-comparison`} className="num" data-channel={channel} data-series="comparison">
                {total(series.comparison)}
              </td>,
            ];
          })}
        </tr>
      </tfoot>
    </table>
  );
}

function percent(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}

function SlaChart({ charts, t }: { charts: Charts; t: Translate }) {
  const build = useMemo(() => {
    const days = charts.sla.map((day) => day.day);
    const data: uPlot.AlignedData = [days.map((_, index) => index), charts.sla.map((day) => (day.compliance === null ? null : day.compliance * 100))];
    return (width: number): { options: uPlot.Options; data: uPlot.AlignedData } => {
      const look = chartLook();
      const bars = uPlot.paths.bars?.({ size: [0.6, 36] });
      return {
        data,
        options: {
          width,
          height: CHART_HEIGHT,
          legend: { live: false },
          scales: { x: { time: false, range: [-0.5, days.length - 0.5] }, y: { range: [0, 100] } },
          axes: [
            axis(look, t('charts.day', { zone: zoneName(t, charts.timeZone) }), {
              incrs: [1, 2],
              values: (_u, splits) => splits.map((index) => days[index]?.slice(5) ?? ''),
            }),
            axis(look, t('charts.compliance'), { incrs: [10, 20, 25, 50], values: (_u, splits) => splits.map((value) => `${String(value)}%`), size: 52 }),
          ],
          series: [
            { label: t('charts.day', { zone: zoneName(t, charts.timeZone) }), value: (_u, index) => (index === null ? '—' : (days[index] ?? '—')) },
            {
              label: t('charts.compliance'),
              stroke: SLA_COLOUR,
              fill: `${SLA_COLOUR}66`,
              width: 1,
              ...(bars ? { paths: bars } : {}),
              // A dot on each bar's top, so a day at 0 % shows as a mark on the axis, not as nothing.
              points: { show: true, size: 6, stroke: SLA_COLOUR, fill: SLA_COLOUR },
              value: (_u, value) => (value === null ? '—' : `${value.toFixed(1)}%`),
            },
          ],
        },
      };
    };
  }, [charts, t]);
  return (
    <figure className="board-chart" aria-labelledby="chart-sla-title">
      <figcaption id="chart-sla-title">{t('charts.slaTitle')}</figcaption>
      <UPlotCanvas build={build} description={t('charts.slaAlt')} />
      <details className="board-chart-data">
        <summary>{t('charts.tableOf', { what: t('charts.slaTable') })}</summary>
        <table className="reports-table board-chart-table" aria-label={t('charts.slaTable')} data-chart="sla">
          <thead>
            <tr>
              <th scope="col">{t('charts.day', { zone: zoneName(t, charts.timeZone) })}</th>
              <th scope="col" className="num">
                {t('charts.due')}
              </th>
              <th scope="col" className="num">
                {t('charts.met')}
              </th>
              <th scope="col" className="num">
                {t('charts.missed')}
              </th>
              <th scope="col" className="num">
                {t('charts.pending')}
              </th>
              <th scope="col" className="num">
                {t('charts.compliance')}
              </th>
            </tr>
          </thead>
          <tbody>
            {charts.sla.map((day) => (
              <tr key={day.day} data-day={day.day}>
                <th scope="row">{day.day}</th>
                <td className="num" data-figure="due">
                  {day.due}
                </td>
                <td className="num" data-figure="met">
                  {day.met}
                </td>
                <td className="num" data-figure="missed">
                  {day.missed}
                </td>
                <td className="num" data-figure="pending">
                  {day.pending}
                </td>
                <td className="num" data-figure="compliance">
                  {percent(day.compliance)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/**
 * A uPlot chart in a box as wide as its container: made again when its data or words change
 * (once a minute at most), resized as the window is. The canvas is one image to assistive
 * technology, described in words; the numbers are in the table beside it.
 */
function UPlotCanvas({ build, description }: { build: (width: number) => { options: uPlot.Options; data: uPlot.AlignedData }; description: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const widthOf = () => Math.max(280, Math.floor(element.clientWidth));
    const { options, data } = build(widthOf());
    const chart = new uPlot(options, data, element);
    const observer = new ResizeObserver(() => chart.setSize({ width: widthOf(), height: CHART_HEIGHT }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [build]);
  return <div className="board-chart-canvas" ref={box} role="img" aria-label={description} />;
}
