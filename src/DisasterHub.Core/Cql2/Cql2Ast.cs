namespace DisasterHub.Core.Cql2;

/// <summary>
/// A CQL2 text filter (OGC API – Features Part 3) as a tree. <see cref="Cql2Parser"/> builds it; the read SQL is made
/// from it with every value as a parameter. Positions are 1-based character offsets into the filter text.
/// </summary>
public abstract record Cql2Node(int Position);

public sealed record Cql2And(Cql2Node Left, Cql2Node Right, int Position) : Cql2Node(Position);

public sealed record Cql2Or(Cql2Node Left, Cql2Node Right, int Position) : Cql2Node(Position);

public sealed record Cql2Not(Cql2Node Operand, int Position) : Cql2Node(Position);

/// <summary><c>TRUE</c> / <c>FALSE</c> on their own as a predicate.</summary>
public sealed record Cql2BoolPredicate(bool Value, int Position) : Cql2Node(Position);

/// <summary><c>a = b</c>, <c>&lt;&gt;</c>, <c>&lt;</c>, <c>&gt;</c>, <c>&lt;=</c>, <c>&gt;=</c>.</summary>
public sealed record Cql2Comparison(Cql2Expr Left, string Op, Cql2Expr Right, int Position) : Cql2Node(Position);

public sealed record Cql2Like(Cql2Expr Value, Cql2Expr Pattern, bool Negated, int Position) : Cql2Node(Position);

public sealed record Cql2Between(Cql2Expr Value, Cql2Expr Low, Cql2Expr High, bool Negated, int Position) : Cql2Node(Position);

public sealed record Cql2In(Cql2Expr Value, IReadOnlyList<Cql2Expr> List, bool Negated, int Position) : Cql2Node(Position);

public sealed record Cql2IsNull(Cql2Expr Value, bool Negated, int Position) : Cql2Node(Position);

/// <summary><c>T_INTERSECTS</c>, <c>T_BEFORE</c>, <c>T_AFTER</c> (upper-case name).</summary>
public sealed record Cql2Temporal(string Function, Cql2Expr Left, Cql2Expr Right, int Position) : Cql2Node(Position);

/// <summary><c>S_INTERSECTS</c>, <c>S_WITHIN</c>, <c>S_CONTAINS</c>, <c>S_DISJOINT</c>, <c>S_EQUALS</c>, <c>S_TOUCHES</c>, <c>S_OVERLAPS</c>, <c>S_CROSSES</c> (upper-case name).</summary>
public sealed record Cql2Spatial(string Function, Cql2Expr Left, Cql2Expr Right, int Position) : Cql2Node(Position);

/// <summary>An operand: a property or a literal.</summary>
public abstract record Cql2Expr(int Position);

public sealed record Cql2Property(string Name, int Position) : Cql2Expr(Position);

public sealed record Cql2String(string Value, int Position) : Cql2Expr(Position);

public sealed record Cql2Number(decimal Value, int Position) : Cql2Expr(Position);

public sealed record Cql2Bool(bool Value, int Position) : Cql2Expr(Position);

/// <summary><c>TIMESTAMP('…')</c> — an instant, always with a zone (CQL2 requires Z).</summary>
public sealed record Cql2Timestamp(DateTimeOffset Value, int Position) : Cql2Expr(Position);

/// <summary><c>DATE('2026-11-22')</c> — the whole day in UTC.</summary>
public sealed record Cql2Date(DateOnly Value, int Position) : Cql2Expr(Position);

/// <summary><c>INTERVAL('…','…')</c>; null ends are open (<c>'..'</c>).</summary>
public sealed record Cql2Interval(DateTimeOffset? Start, DateTimeOffset? End, int Position) : Cql2Expr(Position);

/// <summary>A WKT geometry literal as written (<c>POINT(136.9 37.0)</c>), checked for shape; coordinates are CRS84.</summary>
public sealed record Cql2Geometry(string Wkt, int Position) : Cql2Expr(Position);

/// <summary><c>BBOX(minLon, minLat, maxLon, maxLat)</c>.</summary>
public sealed record Cql2Bbox(double MinX, double MinY, double MaxX, double MaxY, int Position) : Cql2Expr(Position);

/// <summary>A CQL2 text that does not parse, or names what it may not: the message says where.</summary>
public sealed class Cql2Exception(string message, int position, string? property = null) : Exception(message)
{
    /// <summary>1-based character offset into the filter.</summary>
    public int Position { get; } = position;

    /// <summary>The property at fault, when one is.</summary>
    public string? Property { get; } = property;
}
