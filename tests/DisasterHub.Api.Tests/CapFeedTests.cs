using System.Net;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using DisasterHub.Adapters.Alerts;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Core;

namespace DisasterHub.Api.Tests;

/// <summary>
/// The CAP 1.2 Atom feed of evacuation orders and warnings in force (issue 15 item 5): read over HTTP, each alert
/// valid against OASIS's cap12.xsd (from ../shared/samples) and read back by the hub's own CAP parser.
/// </summary>
public sealed class cap_feed_should : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero));
    private HubServer _hub = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        var settings = TestSettings.AddPushSources(new Dictionary<string, string?> { ["Hub:ExpirySeconds"] = "1" }, 10, "cap feed", ("cap-push", "cap", "evacuation_orders"));
        _hub = await HubServer.StartAsync(settings, _clock);
        _key = await _hub.CreateKeyAsync("nanao-city", "push:shelters", "push:evacuation_orders");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    [Fact]
    public async Task list_the_orders_in_force_as_cap_12_that_validates_and_reads_back()
    {
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("cap-push", _key, TestDocuments.Cap("FEED-1", "フィード試験の避難指示", expires: "2026-11-22T13:00:00+09:00"), "application/xml")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", _key, push_endpoint_should.StatusDoc())).StatusCode);

        var r = await _hub.Http.GetAsync("/api/v1/cap/atom");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/atom+xml", r.Content.Headers.ContentType?.MediaType);
        var feed = XDocument.Parse(await r.Content.ReadAsStringAsync());
        XNamespace atom = "http://www.w3.org/2005/Atom";
        var entries = feed.Root!.Elements(atom + "entry").ToList();
        Assert.Single(entries); // the order; not the shelter
        var href = entries[0].Element(atom + "link")!.Attribute("href")!.Value;
        Assert.StartsWith(_hub.BaseUrl.ToString().TrimEnd('/'), href, StringComparison.Ordinal);

        var alert = await _hub.Http.GetAsync(new Uri(href).PathAndQuery);
        Assert.Equal("application/cap+xml", alert.Content.Headers.ContentType?.MediaType);
        var bytes = await alert.Content.ReadAsByteArrayAsync();

        // valid CAP 1.2 by OASIS's schema
        var schemas = new XmlSchemaSet();
        schemas.Add("urn:oasis:names:tc:emergency:cap:1.2", Samples.Path_("cap/cap12.xsd"));
        var errors = new List<string>();
        XDocument.Parse(Encoding.UTF8.GetString(bytes)).Validate(schemas, (_, e) => errors.Add(e.Message));
        Assert.Empty(errors);

        // and the hub's own CAP parser reads what the feed wrote: same area, headline, severity and end
        var parsed = new CapParser().Parse(bytes, new ParseContext { ReceivedAt = _clock.GetUtcNow() });
        Assert.Empty(parsed.Rejections);
        var record = Assert.Single(parsed.Records);
        Assert.Contains("フィード試験の避難指示", record.Name, StringComparison.Ordinal);
        Assert.Equal("172022", record.MunicipalityCode);
        Assert.Equal(2, record.Severity);
        Assert.Equal(0.04 * 0.04, record.Geometry!.Area, 6);

        // after it expires it leaves the feed
        _clock.Advance(TimeSpan.FromHours(2));
        var after = XDocument.Parse(await _hub.Http.GetStringAsync("/api/v1/cap/atom"));
        Assert.Empty(after.Root!.Elements(atom + "entry"));
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Http.GetAsync(new Uri(href).PathAndQuery)).StatusCode);
    }
}
