using System.Security.Cryptography;
using System.Text;

namespace DualStack.Proxy;

/// <summary>
/// The split dashboard (self-contained HTML, no external resources): split, trend sparklines, per-stack live metrics,
/// gates, history, controls. Stylesheet and script are embedded resources (<c>dashboard.css</c>, <c>dashboard.js</c>);
/// the pages go out with a Content-Security-Policy that allows only that script (by hash), inline styles and calls
/// back to the proxy itself.
/// </summary>
internal static class Dashboard
{
    private const string ChartsSlot = "<!--charts-->";

    private static readonly string Css = Resource("dashboard.css");
    private static readonly string Script = Resource("dashboard.js");
    private static readonly string Style = "<style>\n" + Css + "</style>";

    /// <summary>The Content-Security-Policy of both pages; the hash is computed from the script as loaded.</summary>
    public static readonly string ContentSecurityPolicy =
        "default-src 'none'; script-src 'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Script)))
        + "'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    public static readonly string LoginPage = $$"""
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>DualStack split — sign in</title>{{Style}}</head>
        <body><header><h1>DualStack split controller</h1></header><main><div class="card">
        <p>The dashboard needs the admin token (the one the proxy was started with: <code>--token-env</code> / <code>--token-file</code>).</p>
        <!--error-->
        <form method="post" action="/admin/login" class="row"><input id="token" name="token" type="password" autocomplete="current-password" placeholder="admin token" required>
        <button id="login" class="primary" type="submit">Sign in</button></form></div></main></body></html>
        """;

    private static readonly string Page = $$"""
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>DualStack split</title>{{Style}}</head>
        <body><header><h1>DualStack split controller</h1><span class="muted" id="updated">connecting…</span><form method="post" action="/admin/logout" style="margin-left:auto"><button id="logout" type="submit">Sign out</button></form></header>
        <main>
        <div id="state-banner" class="banner ok">loading…</div>
        <div class="card"><div class="row"><div><div class="muted">share of conversations on the new stack</div><div class="big" id="split-percent">–</div></div>
        <div class="bar"><div id="split-bar" style="width:0%"></div></div></div>
        <div class="row" style="margin-top:10px">
          <input id="percent-input" type="number" min="0" max="100" step="0.01" placeholder="percent"> <button id="set-percent" class="primary">Set split</button>
          <button id="advance">Advance ramp</button> <button id="promote">Promote to 100 %</button>
          <input id="rollback-reason" placeholder="rollback reason" size="28"> <button id="rollback" class="danger">Roll back now</button>
        </div><div id="action-error" class="error"></div></div>
        <div class="card"><h3>Trends against the gate limits</h3><div id="trends">{{ChartsSlot}}</div></div>
        <div class="card"><h3>Live metrics (sliding window)</h3><table id="stats"><thead><tr><th>stack</th><th>requests</th><th>errors</th><th>error rate</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr></thead><tbody></tbody></table>
        <p class="muted" id="traffic"></p></div>
        <div class="card"><h3>Gates</h3><table id="gates"><thead><tr><th>gate</th><th>state</th><th>evidence</th></tr></thead><tbody></tbody></table><p class="muted" id="ramp"></p></div>
        <div class="card"><h3>History</h3><table id="history"><thead><tr><th>when</th><th>who</th><th>action</th><th>from → to</th><th>reason</th></tr></thead><tbody></tbody></table></div>
        </main>
        <script>
        """ + Script + "</script></body></html>";

    /// <summary>The dashboard with the current sparklines drawn in (they show without script; the script refreshes them).</summary>
    public static string RenderPage(DashboardTrend trend) => Page.Replace(ChartsSlot, trend.RenderCharts(), StringComparison.Ordinal);

    private static string Resource(string name)
    {
        var assembly = typeof(Dashboard).Assembly;
        var fullName = "DualStack.Proxy." + name;
        using var stream = assembly.GetManifestResourceStream(fullName)
            ?? throw new InvalidOperationException($"embedded resource '{fullName}' is missing from {assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
        return reader.ReadToEnd();
    }
}
