using DisasterHub.Core.Cql2;

namespace DisasterHub.Core.Tests;

public sealed class cql2_parser_should
{
    [Fact]
    public void parse_a_comparison_of_a_property_with_a_string()
    {
        var c = Assert.IsType<Cql2Comparison>(Cql2Parser.Parse("status='開設'"));
        Assert.Equal("status", Assert.IsType<Cql2Property>(c.Left).Name);
        Assert.Equal("=", c.Op);
        Assert.Equal("開設", Assert.IsType<Cql2String>(c.Right).Value);
    }

    [Theory]
    [InlineData("evacuees <> 3", "<>")]
    [InlineData("evacuees<3", "<")]
    [InlineData("evacuees > 3", ">")]
    [InlineData("evacuees <= 3", "<=")]
    [InlineData("evacuees>=-3.5", ">=")]
    public void read_every_comparison_operator(string text, string op)
    {
        var c = Assert.IsType<Cql2Comparison>(Cql2Parser.Parse(text));
        Assert.Equal(op, c.Op);
        Assert.IsType<Cql2Number>(c.Right);
    }

    [Fact]
    public void bind_and_tighter_than_or_and_not_tighter_than_and()
    {
        var or = Assert.IsType<Cql2Or>(Cql2Parser.Parse("a = 1 OR NOT b = 2 AND c = 3"));
        Assert.IsType<Cql2Comparison>(or.Left);
        var and = Assert.IsType<Cql2And>(or.Right);
        Assert.IsType<Cql2Not>(and.Left);
        var grouped = Assert.IsType<Cql2And>(Cql2Parser.Parse("(a = 1 or b = 2) and c = 3"));
        Assert.IsType<Cql2Or>(grouped.Left);
    }

    [Fact]
    public void read_like_between_in_and_is_null_with_their_negations()
    {
        Assert.False(Assert.IsType<Cql2Like>(Cql2Parser.Parse("name LIKE '七尾%'")).Negated);
        Assert.True(Assert.IsType<Cql2Like>(Cql2Parser.Parse("name NOT LIKE '七尾%'")).Negated);
        var between = Assert.IsType<Cql2Between>(Cql2Parser.Parse("evacuees BETWEEN 10 AND 20"));
        Assert.Equal(10m, Assert.IsType<Cql2Number>(between.Low).Value);
        Assert.Equal(20m, Assert.IsType<Cql2Number>(between.High).Value);
        Assert.True(Assert.IsType<Cql2Between>(Cql2Parser.Parse("evacuees NOT BETWEEN 10 AND 20 AND name = 'x'") is Cql2And a ? a.Left : null).Negated);
        var inList = Assert.IsType<Cql2In>(Cql2Parser.Parse("status IN ('開設', '未開設')"));
        Assert.Equal(2, inList.List.Count);
        Assert.True(Assert.IsType<Cql2In>(Cql2Parser.Parse("status NOT IN ('閉鎖')")).Negated);
        Assert.False(Assert.IsType<Cql2IsNull>(Cql2Parser.Parse("address IS NULL")).Negated);
        Assert.True(Assert.IsType<Cql2IsNull>(Cql2Parser.Parse("address is not null")).Negated);
    }

    [Fact]
    public void read_temporal_functions_with_timestamp_date_and_interval_literals()
    {
        var t = Assert.IsType<Cql2Temporal>(Cql2Parser.Parse("T_INTERSECTS(observed_at, INTERVAL('2026-11-22T00:00:00Z', '..'))"));
        var iv = Assert.IsType<Cql2Interval>(t.Right);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero), iv.Start);
        Assert.Null(iv.End);
        var before = Assert.IsType<Cql2Temporal>(Cql2Parser.Parse("t_before(observed_at, TIMESTAMP('2026-11-22T09:00:00+09:00'))"));
        Assert.Equal("T_BEFORE", before.Function);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero), Assert.IsType<Cql2Timestamp>(before.Right).Value);
        Assert.IsType<Cql2Date>(Assert.IsType<Cql2Temporal>(Cql2Parser.Parse("T_AFTER(observed_at, DATE('2026-11-21'))")).Right);
    }

    [Fact]
    public void read_spatial_functions_with_wkt_and_bbox()
    {
        var s = Assert.IsType<Cql2Spatial>(Cql2Parser.Parse("S_INTERSECTS(geometry, POLYGON((136.9 37, 137 37, 137 37.1, 136.9 37)))"));
        Assert.Equal("POLYGON((136.9 37,137 37,137 37.1,136.9 37))", Assert.IsType<Cql2Geometry>(s.Right).Wkt);
        Assert.Equal("POINT(136.9 37)", Assert.IsType<Cql2Geometry>(Assert.IsType<Cql2Spatial>(Cql2Parser.Parse("s_intersects(geometry, point(136.9 37))")).Right).Wkt);
        var b = Assert.IsType<Cql2Bbox>(Assert.IsType<Cql2Spatial>(Cql2Parser.Parse("S_INTERSECTS(geometry, BBOX(136, 36, 138, 38))")).Right);
        Assert.Equal(138, b.MaxX);
        Assert.Equal("MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((2 2,3 2,3 3,2 2)))",
            Assert.IsType<Cql2Geometry>(Assert.IsType<Cql2Spatial>(Cql2Parser.Parse("S_WITHIN(geometry, MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((2 2,3 2,3 3,2 2))))")).Right).Wkt);
    }

    [Fact]
    public void read_quoted_names_escaped_quotes_and_booleans()
    {
        var c = Assert.IsType<Cql2Comparison>(Cql2Parser.Parse("\"name\" = 'O''Hara'"));
        Assert.Equal("name", Assert.IsType<Cql2Property>(c.Left).Name);
        Assert.Equal("O'Hara", Assert.IsType<Cql2String>(c.Right).Value);
        Assert.True(Assert.IsType<Cql2Bool>(Assert.IsType<Cql2Comparison>(Cql2Parser.Parse("stale = TRUE")).Right).Value);
    }

    [Theory]
    [InlineData("status = ", 10, "expected a property or a value")]
    [InlineData("status == '開設'", 9, "expected a property or a value")]
    [InlineData("status = '開設", 10, "unterminated string")]
    [InlineData("(status = 'a'", 14, "expected ')'")]
    [InlineData("status = 'a' AND", 17, "expected a property or a value")]
    [InlineData("status 'a'", 8, "expected a comparison operator")]
    [InlineData("evacuees BETWEEN 1 OR 2", 20, "expected AND in BETWEEN")]
    [InlineData("status IN 'a'", 11, "expected '(' after IN")]
    [InlineData("observed_at > TIMESTAMP('yesterday')", 25, "TIMESTAMP needs an RFC 3339 instant")]
    [InlineData("S_INTERSECTS(geometry, POINT(1))", 31, "needs 2 or 3 numbers")]
    [InlineData("S_FOO(geometry, POINT(1 2))", 1, "unsupported function")]
    [InlineData("name = 'a' ; DROP TABLE feature", 12, "unexpected character ';'")]
    [InlineData("", 1, "filter is empty")]
    public void report_a_syntax_error_with_its_position(string text, int position, string message)
    {
        var e = Assert.Throws<Cql2Exception>(() => Cql2Parser.Parse(text));
        Assert.Equal(position, e.Position);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        if (text.Length > 0) Assert.Contains($"position {position}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void refuse_nesting_deeper_than_its_limit_without_overflowing_the_stack()
    {
        var deep = new string('(', 10_000) + "a = 1" + new string(')', 10_000);
        Assert.Throws<Cql2Exception>(() => Cql2Parser.Parse(deep[..Cql2Parser.MaxLength]));
        Assert.Contains("nested deeper", Assert.Throws<Cql2Exception>(() => Cql2Parser.Parse(new string('(', 100) + "a = 1" + new string(')', 100))).Message, StringComparison.Ordinal);
        Assert.Contains("nested deeper", Assert.Throws<Cql2Exception>(() => Cql2Parser.Parse(string.Concat(Enumerable.Repeat("NOT ", 100)) + "a = 1")).Message, StringComparison.Ordinal);
    }
}
