namespace EdgeAI.Agents.Inspection;

/// <summary>One 8-connected group of hot heatmap cells.</summary>
/// <param name="Column">Leftmost cell column.</param>
/// <param name="Row">Top cell row.</param>
/// <param name="Columns">Width in cells.</param>
/// <param name="Rows">Height in cells.</param>
/// <param name="Cells">Hot cells in the group.</param>
/// <param name="Peak">Highest scaled heat in the group, in [0.5, 1] (1 for the map's hottest region).</param>
internal readonly record struct CellRegion(int Column, int Row, int Columns, int Rows, int Cells, float Peak);
