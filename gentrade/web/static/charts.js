/* Charts on TradingView's lightweight-charts (vendored standalone build, global LightweightCharts).
   The series drawn are exactly what the API returns; GT.state keeps the series objects so anyone (and
   the browser tests) can read back what the chart holds. */
"use strict";
(function () {
  const LC = window.LightweightCharts;
  const PALETTE = ["#3b82f6", "#f59e0b", "#10b981", "#ec4899", "#8b5cf6"];
  const MARKER = {
    entry: { color: "#3b82f6", shape: "arrowUp", position: "belowBar" },
    tp: { color: "#10b981", shape: "circle", position: "aboveBar" },
    breakeven: { color: "#eab308", shape: "square", position: "aboveBar" },
    trailing: { color: "#a855f7", shape: "square", position: "aboveBar" },
    stop: { color: "#ef4444", shape: "arrowDown", position: "aboveBar" },
    exit: { color: "#94a3b8", shape: "arrowDown", position: "aboveBar" },
  };

  function base(el, height) {
    return LC.createChart(el, {
      autoSize: true,
      height,
      layout: { background: { type: "solid", color: "transparent" }, textColor: "#9aa4b2", fontFamily: "inherit", attributionLogo: false },
      grid: { vertLines: { color: "rgba(148,163,184,0.08)" }, horzLines: { color: "rgba(148,163,184,0.08)" } },
      rightPriceScale: { borderColor: "rgba(148,163,184,0.2)" },
      timeScale: { borderColor: "rgba(148,163,184,0.2)", timeVisible: true, secondsVisible: false },
      crosshair: { mode: 0 },
    });
  }

  /* Equity lines (one per run) over a drawdown chart whose time axis follows the equity chart's. */
  function equity(equityEl, drawdownEl, runs) {
    const top = base(equityEl, equityEl.clientHeight || 300);
    const bottom = base(drawdownEl, drawdownEl.clientHeight || 140);
    GT.state.equitySeries = [];
    GT.state.drawdownSeries = [];
    runs.forEach((run, i) => {
      const color = PALETTE[i % PALETTE.length];
      const line = top.addSeries(LC.LineSeries, { color, lineWidth: 2, title: runs.length > 1 ? run.label : "" });
      line.setData(run.points.map((p) => ({ time: p.time, value: p.equity })));
      const dd = bottom.addSeries(runs.length > 1 ? LC.LineSeries : LC.AreaSeries,
        runs.length > 1 ? { color, lineWidth: 1 } : { lineColor: "#ef4444", topColor: "rgba(239,68,68,0.05)", bottomColor: "rgba(239,68,68,0.35)", lineWidth: 1, invertFilledArea: true });
      dd.setData(run.points.map((p) => ({ time: p.time, value: p.drawdown_pct })));
      GT.state.equitySeries.push(line);
      GT.state.drawdownSeries.push(dd);
    });
    top.timeScale().fitContent();
    bottom.timeScale().fitContent();
    top.timeScale().subscribeVisibleLogicalRangeChange((range) => range && bottom.timeScale().setVisibleLogicalRange(range));
    bottom.applyOptions({ rightPriceScale: { scaleMargins: { top: 0.1, bottom: 0 } } });
    GT.state.equityChart = top;
  }

  /* One pair's candles with its trades marked; the pair picker reloads from /backtests/{id}/candles. */
  function candles(backtestId, picker, el, note) {
    const chart = base(el, el.clientHeight || 420);
    const series = chart.addSeries(LC.CandlestickSeries, {
      upColor: "#10b981", downColor: "#ef4444", borderVisible: false, wickUpColor: "#10b981", wickDownColor: "#ef4444",
    });
    const markers = LC.createSeriesMarkers(series, []);
    GT.state.candleChart = chart;
    GT.state.candleSeries = series;
    GT.state.candleMarkers = markers;
    async function load() {
      const pair = picker.value;
      note.textContent = `Loading ${pair}…`;
      el.dataset.loaded = "";
      const data = await GT.api("GET", `/api/v1/backtests/${backtestId}/candles?pair=${encodeURIComponent(pair)}`);
      series.setData(data.candles.map(([time, open, high, low, close]) => ({ time, open, high, low, close })));
      markers.setMarkers(data.markers.map((m) => {
        const style = MARKER[m.kind];
        const short = m.is_short && m.kind === "entry";
        return { time: m.time, color: style.color, shape: short ? "arrowDown" : style.shape, position: short ? "aboveBar" : style.position, text: m.kind === "entry" ? "" : m.label };
      }));
      chart.timeScale().fitContent();
      const trades = data.markers.filter((m) => m.kind === "entry").length;
      note.textContent = data.candles_per_bar > 1
        ? `${pair}: ${data.source_candles.toLocaleString()} ${data.timeframe} candles, downsampled on the server to ${data.candles.length.toLocaleString()} bars of ${data.candles_per_bar} candles each (OHLC per bar). ${trades} trades, ${data.markers.length} fills.`
        : `${pair}: ${data.source_candles.toLocaleString()} ${data.timeframe} candles, ${trades} trades, ${data.markers.length} fills.`;
      GT.state.candleData = data;
      el.dataset.loaded = pair;
    }
    picker.addEventListener("change", () => load().catch((err) => { note.textContent = err.message; }));
    return load().catch((err) => { note.textContent = err.message; });
  }

  GT.charts = { equity, candles, base, PALETTE };
})();
