using EdgeAI.Agents.Inspection;

namespace EdgeAI.Agents.Tests.Inspection;

public sealed class HeatmapRegionsTests
{
    [Fact]
    public void Hot_cells_group_into_8_connected_regions_in_scan_order()
    {
        // Worked by hand: range 0..9, so cells >= 4.5 are hot. (0,4) stands alone; (1,1) (1,2) (2,1) form one
        // group; (2,4) (3,4) another; (3,0) = 4 scales to 0.44 and is cold.
        float[] map =
        [
            0, 0, 0, 0, 9,
            0, 8, 8, 0, 0,
            0, 8, 0, 0, 5,
            4, 0, 0, 0, 5,
        ];
        var regions = new CellRegion[16];
        var count = new HeatmapRegions(5, 4).Find(map, regions);

        Assert.Equal(3, count);
        Assert.Equal(new CellRegion(4, 0, 1, 1, 1, 1f), regions[0]);
        Assert.Equal((1, 1, 2, 2, 3), (regions[1].Column, regions[1].Row, regions[1].Columns, regions[1].Rows, regions[1].Cells));
        Assert.Equal(8f / 9f, regions[1].Peak, 1e-6f);
        Assert.Equal((4, 2, 1, 2, 2), (regions[2].Column, regions[2].Row, regions[2].Columns, regions[2].Rows, regions[2].Cells));
        Assert.Equal(5f / 9f, regions[2].Peak, 1e-6f);
    }

    [Fact]
    public void Diagonal_neighbours_are_one_region_and_negative_maps_scale_by_their_range()
    {
        // A diagonal scratch: 4-connectivity would split it into three; 8-connectivity keeps it whole.
        float[] map =
        [
            -1, -3, -3,
            -3, -1, -3,
            -3, -3, -1,
        ];
        var regions = new CellRegion[4];
        var count = new HeatmapRegions(3, 3).Find(map, regions);

        Assert.Equal(1, count);
        Assert.Equal(new CellRegion(0, 0, 3, 3, 3, 1f), regions[0]);
    }

    [Fact]
    public void A_flat_map_has_no_region_and_scales_to_zero()
    {
        var map = Enumerable.Repeat(0.7f, 16).ToArray();
        var scaled = new float[16];
        HeatmapRegions.Scale(map, scaled);

        Assert.Equal(0, new HeatmapRegions(4, 4).Find(map, new CellRegion[4]));
        Assert.All(scaled, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_map_of_the_wrong_size_is_refused_with_the_expected_grid()
    {
        var ex = Assert.Throws<ArgumentException>(() => new HeatmapRegions(4, 4).Find(new float[15], new CellRegion[4]));
        Assert.Contains("4x4", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_as_many_regions_as_the_buffer_holds_are_reported()
    {
        // A checkerboard of isolated hot cells on a 5x5 grid: 9 regions, the grid's maximum.
        var map = new float[25];
        for (var r = 0; r < 5; r += 2)
        {
            for (var c = 0; c < 5; c += 2)
            {
                map[(r * 5) + c] = 1;
            }
        }

        var finder = new HeatmapRegions(5, 5);
        Assert.Equal(9, finder.MaxRegions);
        Assert.Equal(9, finder.Find(map, new CellRegion[finder.MaxRegions]));
        Assert.Equal(4, finder.Find(map, new CellRegion[4]));
    }
}
