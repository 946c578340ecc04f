using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DisasterHub.Core;
using DisasterHub.Core.Cql2;
using NpgsqlTypes;

namespace DisasterHub.Data;

/// <summary>A parameter of a compiled filter: bound afresh on every command that uses the filter.</summary>
public sealed record SqlValue(string Name, object Value, NpgsqlDbType Type);

/// <summary>
/// A filter and an order made into SQL over the read row <c>r</c> (rows_*.sql): every value is a parameter, every
/// property an expression taken from this file for a name in the caller's queryables — nothing from the request is
/// ever written into the SQL text.
/// </summary>
public sealed record SqlFilter(string Where, IReadOnlyList<SqlValue> Values, string OrderBy)
{
    public static readonly SqlFilter None = new("", [], "");
}

/// <summary>
/// CQL2 (<see cref="Cql2Parser"/>), property filters (<c>?status=開設</c>) and <c>sortby</c> → <see cref="SqlFilter"/>.
/// A property not in the caller's queryables (unknown, or hidden from it by the sharing rules) is refused with a
/// <see cref="Cql2Exception"/> naming it, as is a value of the wrong type.
/// </summary>
public sealed partial class Cql2Sql
{
    private readonly IReadOnlyDictionary<string, QueryableProperty> _queryables;
    private readonly List<SqlValue> _values = [];

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,63}$")]
    private static partial Regex SafeName();

    private Cql2Sql(IReadOnlyDictionary<string, QueryableProperty> queryables) => _queryables = queryables;

    /// <summary>
    /// The whole WHERE addition (<c>AND (…)</c>, or empty) and ORDER BY prefix for a request: <paramref name="filter"/>
    /// (CQL2 tree or null), <paramref name="equals"/> (property → raw value), <paramref name="sortBy"/> (+/-name list).
    /// </summary>
    public static SqlFilter Compile(IReadOnlyDictionary<string, QueryableProperty> queryables, Cql2Node? filter,
        IEnumerable<KeyValuePair<string, string>> equals, IReadOnlyList<(string Name, bool Descending)> sortBy)
    {
        var c = new Cql2Sql(queryables);
        var parts = new List<string>();
        if (filter is not null) parts.Add(c.Node(filter));
        foreach (var (name, raw) in equals) parts.Add(c.Node(c.EqualsNode(name, raw)));
        var order = new StringBuilder();
        foreach (var (name, desc) in sortBy)
        {
            var q = c.Lookup(name, 0);
            if (q.Type == QueryableType.Geometry) throw new Cql2Exception($"cannot sort by geometry '{name}'", 0, name);
            order.Append(Column(q)).Append(desc ? " DESC NULLS LAST, " : " ASC NULLS LAST, ");
        }
        return new SqlFilter(parts.Count == 0 ? "" : $"AND ({string.Join(") AND (", parts)})", c._values, order.ToString());
    }

    /// <summary>The SQL expression of a queryable over the read row <c>r</c>: a header column, or a typed attribute.</summary>
    public static string Column(QueryableProperty q)
    {
        if (!SafeName().IsMatch(q.Name)) throw new InvalidOperationException($"queryable name '{q.Name}' is not a plain name");
        if (!q.IsAttribute)
            return q.Name switch
            {
                Queryables.GeometryName => "r.geom",
                "source_id" => "r.sources[1]",
                _ => $"r.{q.Name}",
            };
        return q.Type switch
        {
            QueryableType.Number or QueryableType.Integer => $"(CASE WHEN jsonb_typeof(r.attrs -> '{q.Name}') = 'number' THEN (r.attrs ->> '{q.Name}')::numeric END)",
            QueryableType.Boolean => $"(CASE WHEN jsonb_typeof(r.attrs -> '{q.Name}') = 'boolean' THEN (r.attrs ->> '{q.Name}')::boolean END)",
            _ => $"(r.attrs ->> '{q.Name}')",
        };
    }

    private QueryableProperty Lookup(string name, int position) =>
        _queryables.TryGetValue(name, out var q) ? q
        : throw new Cql2Exception($"unknown property '{name}'{(position > 0 ? $" at position {position}" : "")}: not a queryable of this collection (see its /queryables)", position, name);

    private Cql2Node EqualsNode(string name, string raw)
    {
        var q = Lookup(name, 0);
        Cql2Expr value = q.Type switch
        {
            QueryableType.String => new Cql2String(raw, 0),
            QueryableType.Number or QueryableType.Integer => decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                ? new Cql2Number(d, 0) : throw new Cql2Exception($"{name} must be a number", 0, name),
            QueryableType.Boolean => bool.TryParse(raw, out var b) ? new Cql2Bool(b, 0) : throw new Cql2Exception($"{name} must be true or false", 0, name),
            QueryableType.Timestamp => new Cql2String(raw, 0),
            _ => throw new Cql2Exception($"{name} cannot be given as a value; use filter=S_INTERSECTS({name}, …) or bbox", 0, name),
        };
        return new Cql2Comparison(new Cql2Property(name, 0), "=", value, 0);
    }

    private string Bind(object value, NpgsqlDbType type)
    {
        var name = $"f{_values.Count}";
        _values.Add(new SqlValue(name, value, type));
        return $"@{name}";
    }

    private string Node(Cql2Node n) => n switch
    {
        Cql2And a => $"({Node(a.Left)}) AND ({Node(a.Right)})",
        Cql2Or o => $"({Node(o.Left)}) OR ({Node(o.Right)})",
        Cql2Not x => $"NOT ({Node(x.Operand)})",
        Cql2BoolPredicate b => b.Value ? "TRUE" : "FALSE",
        Cql2Comparison c => Comparison(c),
        Cql2Like l => Like(l),
        Cql2Between b => Between(b),
        Cql2In i => In(i),
        Cql2IsNull i => $"{Operand(i.Value, null, out _)} IS {(i.Negated ? "NOT " : "")}NULL",
        Cql2Temporal t => Temporal(t),
        Cql2Spatial s => Spatial(s),
        _ => throw new Cql2Exception("unsupported expression", n.Position),
    };

    /// <summary>The type an operand has on its own (a property's, a literal's).</summary>
    private QueryableType? TypeOf(Cql2Expr e) => e switch
    {
        Cql2Property p => Lookup(p.Name, p.Position).Type,
        Cql2Number => QueryableType.Number,
        Cql2Bool => QueryableType.Boolean,
        Cql2Timestamp or Cql2Date => QueryableType.Timestamp,
        Cql2Geometry or Cql2Bbox => QueryableType.Geometry,
        _ => null, // a string takes the type of what it is compared with
    };

    private static bool Numeric(QueryableType? t) => t is QueryableType.Number or QueryableType.Integer;

    /// <summary>An operand as SQL, a literal bound as the type it meets (<paramref name="want"/>).</summary>
    private string Operand(Cql2Expr e, QueryableType? want, out QueryableType type)
    {
        switch (e)
        {
            case Cql2Property p:
                var q = Lookup(p.Name, p.Position);
                type = q.Type;
                return Column(q);
            case Cql2String s when want == QueryableType.Timestamp:
                type = QueryableType.Timestamp;
                return DateTimeOffset.TryParse(s.Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var t) && HasZone(s.Value)
                    ? Bind(t.UtcDateTime, NpgsqlDbType.TimestampTz)
                    : throw new Cql2Exception($"'{s.Value}' at position {s.Position} is not an RFC 3339 instant with a zone", s.Position);
            case Cql2String s when want is null or QueryableType.String:
                type = QueryableType.String;
                return Bind(s.Value, NpgsqlDbType.Text);
            case Cql2Number num when want is null || Numeric(want):
                type = QueryableType.Number;
                return Bind(num.Value, NpgsqlDbType.Numeric);
            case Cql2Bool b when want is null or QueryableType.Boolean:
                type = QueryableType.Boolean;
                return Bind(b.Value, NpgsqlDbType.Boolean);
            case Cql2Timestamp ts when want is null or QueryableType.Timestamp:
                type = QueryableType.Timestamp;
                return Bind(ts.Value.UtcDateTime, NpgsqlDbType.TimestampTz);
            case Cql2Date d when want is null or QueryableType.Timestamp:
                type = QueryableType.Timestamp;
                return Bind(d.Value.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), NpgsqlDbType.TimestampTz);
            default:
                throw new Cql2Exception($"a {Word(e)} at position {e.Position} cannot be compared with a {Word(want)}", e.Position);
        }
    }

    private static bool HasZone(string s) => s.EndsWith('Z') || s.EndsWith('z') || (s.Length > 6 && s[^6] is '+' or '-' && s[^3] == ':');

    private static string Word(Cql2Expr e) => e switch
    {
        Cql2String => "string", Cql2Number => "number", Cql2Bool => "boolean", Cql2Timestamp or Cql2Date => "timestamp",
        Cql2Interval => "interval", Cql2Geometry or Cql2Bbox => "geometry", _ => "value",
    };

    private static string Word(QueryableType? t) => t switch
    {
        QueryableType.String => "string property", QueryableType.Number or QueryableType.Integer => "number property",
        QueryableType.Boolean => "boolean property", QueryableType.Timestamp => "timestamp property",
        QueryableType.Geometry => "geometry property", _ => "value",
    };

    /// <summary>Both sides, the property side first so a literal takes its type.</summary>
    private (string Left, string Right, QueryableType Type) Pair(Cql2Expr left, Cql2Expr right, int position)
    {
        var lt = TypeOf(left);
        var rt = TypeOf(right);
        if (lt == QueryableType.Geometry || rt == QueryableType.Geometry)
            throw new Cql2Exception($"geometries are compared with S_INTERSECTS and the other spatial functions (position {position})", position);
        var l = Operand(left, rt, out var lType);
        var r = Operand(right, lType, out var rType);
        if (lType != rType && !(Numeric(lType) && Numeric(rType)))
            throw new Cql2Exception($"a {Word(lType)} cannot be compared with a {Word(rType)} at position {position}", position);
        return (l, r, lType);
    }

    private string Comparison(Cql2Comparison c)
    {
        var (l, r, _) = Pair(c.Left, c.Right, c.Position);
        var op = c.Op switch { "=" or "<>" or "<" or ">" or "<=" or ">=" => c.Op, _ => throw new Cql2Exception($"unknown operator '{c.Op}'", c.Position) };
        return $"{l} {op} {r}";
    }

    private string Like(Cql2Like l)
    {
        var v = Operand(l.Value, QueryableType.String, out var type);
        if (type != QueryableType.String) throw new Cql2Exception($"LIKE needs a string property (position {l.Position})", l.Position);
        var p = Operand(l.Pattern, QueryableType.String, out _);
        return $"{v} {(l.Negated ? "NOT " : "")}LIKE {p}";
    }

    private string Between(Cql2Between b)
    {
        var (v, low, _) = Pair(b.Value, b.Low, b.Position);
        var (_, high, _) = Pair(b.Value, b.High, b.Position);
        return $"{v} {(b.Negated ? "NOT " : "")}BETWEEN {low} AND {high}";
    }

    private string In(Cql2In i)
    {
        var items = i.List.Select(x => Pair(i.Value, x, i.Position)).ToList();
        return $"{items[0].Left} {(i.Negated ? "NOT " : "")}IN ({string.Join(", ", items.Select(x => x.Right))})";
    }

    /// <summary>An operand of a temporal function as an interval (start, end), both ends inclusive.</summary>
    private (string Start, string End) Period(Cql2Expr e, string function)
    {
        switch (e)
        {
            case Cql2Property p:
                var q = Lookup(p.Name, p.Position);
                if (q.Type != QueryableType.Timestamp) throw new Cql2Exception($"{function} needs a timestamp property, not '{p.Name}' (position {p.Position})", p.Position, p.Name);
                return (Column(q), Column(q));
            case Cql2Timestamp or Cql2String:
                var at = Operand(e, QueryableType.Timestamp, out _);
                return (at, at);
            case Cql2Date d:
                var day = d.Value.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
                return (Bind(day, NpgsqlDbType.TimestampTz), Bind(day.AddDays(1).AddTicks(-10), NpgsqlDbType.TimestampTz));
            case Cql2Interval iv:
                return (iv.Start is { } s ? Bind(s.UtcDateTime, NpgsqlDbType.TimestampTz) : "'-infinity'::timestamptz",
                        iv.End is { } x ? Bind(x.UtcDateTime, NpgsqlDbType.TimestampTz) : "'infinity'::timestamptz");
            default:
                throw new Cql2Exception($"{function} needs a timestamp property, TIMESTAMP, DATE or INTERVAL, not a {Word(e)} (position {e.Position})", e.Position);
        }
    }

    private string Temporal(Cql2Temporal t)
    {
        var a = Period(t.Left, t.Function);
        var b = Period(t.Right, t.Function);
        return t.Function switch
        {
            "T_INTERSECTS" => $"{a.Start} <= {b.End} AND {a.End} >= {b.Start}",
            "T_BEFORE" => $"{a.End} < {b.Start}",
            "T_AFTER" => $"{a.Start} > {b.End}",
            _ => throw new Cql2Exception($"unsupported function {t.Function}", t.Position),
        };
    }

    private string Geometry(Cql2Expr e, string function)
    {
        switch (e)
        {
            case Cql2Property p:
                var q = Lookup(p.Name, p.Position);
                return q.Type == QueryableType.Geometry ? Column(q)
                    : throw new Cql2Exception($"{function} needs a geometry property, not '{p.Name}' (position {p.Position})", p.Position, p.Name);
            case Cql2Bbox b:
                return $"ST_MakeEnvelope({Bind(b.MinX, NpgsqlDbType.Double)}, {Bind(b.MinY, NpgsqlDbType.Double)}, {Bind(b.MaxX, NpgsqlDbType.Double)}, {Bind(b.MaxY, NpgsqlDbType.Double)}, 4326)";
            case Cql2Geometry g:
                NetTopologySuite.Geometries.Geometry geom;
                try
                {
                    geom = new NetTopologySuite.IO.WKTReader().Read(g.Wkt);
                }
                catch (Exception ex) when (ex is NetTopologySuite.IO.ParseException or ArgumentException)
                {
                    throw new Cql2Exception($"geometry at position {g.Position} is not valid WKT: {ex.Message}", g.Position);
                }
                if (!geom.IsValid) throw new Cql2Exception($"geometry at position {g.Position} is not valid (self-intersecting or unclosed)", g.Position);
                var wkb = new NetTopologySuite.IO.WKBWriter(NetTopologySuite.IO.ByteOrder.LittleEndian, false).Write(geom);
                return $"ST_SetSRID(ST_Force2D(ST_GeomFromWKB({Bind(wkb, NpgsqlDbType.Bytea)})), 4326)";
            default:
                throw new Cql2Exception($"{function} needs a geometry (WKT or BBOX), not a {Word(e)} (position {e.Position})", e.Position);
        }
    }

    private string Spatial(Cql2Spatial s)
    {
        var fn = s.Function switch
        {
            "S_INTERSECTS" => "ST_Intersects",
            "S_WITHIN" => "ST_Within",
            "S_CONTAINS" => "ST_Contains",
            "S_DISJOINT" => "ST_Disjoint",
            "S_EQUALS" => "ST_Equals",
            "S_TOUCHES" => "ST_Touches",
            "S_OVERLAPS" => "ST_Overlaps",
            "S_CROSSES" => "ST_Crosses",
            _ => throw new Cql2Exception($"unsupported function {s.Function}", s.Position),
        };
        return $"{fn}({Geometry(s.Left, s.Function)}, {Geometry(s.Right, s.Function)})";
    }
}
