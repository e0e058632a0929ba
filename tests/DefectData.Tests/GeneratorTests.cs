namespace EdgeAI.DefectData.Tests;

public sealed class GeneratorTests
{
    private const int Size = DefectDataset.ImageSize;

    [Theory]
    [InlineData(DefectKind.Scratch, 8, 200)]
    [InlineData(DefectKind.Crack, 8, 260)]
    [InlineData(DefectKind.Spot, 12, 400)]
    [InlineData(DefectKind.Hole, 8, 90)]
    [InlineData(DefectKind.Dent, 40, 500)]
    public void Painted_defect_changes_pixels_where_its_mask_is(DefectKind kind, int minArea, int maxArea)
    {
        for (ulong seed = 0; seed < 20; seed++)
        {
            var rgb = Enumerable.Repeat(0.5f, Size * Size * 3).ToArray();
            var mask = new byte[Size * Size];
            DefectPainter.Paint(kind, new SeededRandom(seed), rgb, mask, Size);
            var area = mask.Sum(m => m);
            Assert.InRange(area, minArea, maxArea);

            // Every clearly changed pixel lies on the mask or within 3 pixels of it (soft edges, a hole's rim).
            var near = Dilate(mask, 3);
            var changedOutside = 0;
            var changed = 0;
            for (var i = 0; i < mask.Length; i++)
            {
                var delta = Math.Abs(rgb[i * 3] - 0.5f) + Math.Abs(rgb[(i * 3) + 1] - 0.5f) + Math.Abs(rgb[(i * 3) + 2] - 0.5f);
                if (delta > 0.05f)
                {
                    changed++;
                    changedOutside += near[i] ? 0 : 1;
                }
            }

            Assert.Equal(0, changedOutside);
            Assert.True(changed >= area / 2, $"{kind} seed {seed}: only {changed} pixels changed for a mask of {area}.");
        }
    }

    [Theory]
    [InlineData(DefectKind.Scratch, 0.03f)]
    [InlineData(DefectKind.Crack, 0.03f)]
    [InlineData(DefectKind.Crack, 0.97f)]
    [InlineData(DefectKind.Spot, 0.02f)]
    [InlineData(DefectKind.Hole, 0.02f)]
    [InlineData(DefectKind.Dent, 0.5f)]
    public void Every_painted_defect_reaches_the_minimum_contrast_even_on_black_or_white(DefectKind kind, float background)
    {
        // Independent check: mean absolute change of the mask pixels recomputed here from the before/after images.
        var raised = 0;
        for (ulong seed = 0; seed < 40; seed++)
        {
            var rgb = Enumerable.Repeat(background, Size * Size * 3).ToArray();
            var mask = new byte[Size * Size];
            var drawn = DefectPainter.Paint(kind, new SeededRandom(seed), rgb, mask, Size);
            double sum = 0;
            var n = 0;
            for (var i = 0; i < mask.Length; i++)
            {
                if (mask[i] != 0)
                {
                    n++;
                    sum += Math.Abs(rgb[i * 3] - background) + Math.Abs(rgb[(i * 3) + 1] - background) + Math.Abs(rgb[(i * 3) + 2] - background);
                }
            }

            var contrast = sum / (3 * n);

            // 0.75 of the minimum: where clipping limits the scaled change, the painter accepts 3/4 of it.
            Assert.True(contrast >= DefectDataset.MinDefectContrast * 0.75, $"{kind} seed {seed} on {background}: contrast {contrast:F4}, drawn {drawn:F4}");
            Assert.InRange(drawn, 0, 1);
            raised += drawn < DefectDataset.MinDefectContrast ? 1 : 0;
        }

        // A dark crack on near-black (or a dent's shading on flat grey) is the case the rule exists for.
        if (kind is DefectKind.Crack && background < 0.5f)
        {
            Assert.True(raised > 0, "expected some cracks on near-black to be drawn too faint and raised");
        }
    }

    [Fact]
    public void Visible_defects_are_left_as_drawn()
    {
        // A mid-grey surface: a strong spot is far above the minimum and must not be rescaled.
        var rgb = Enumerable.Repeat(0.5f, Size * Size * 3).ToArray();
        var mask = new byte[Size * Size];
        var drawn = DefectPainter.Paint(DefectKind.Hole, new SeededRandom(3), rgb, mask, Size);
        Assert.True(drawn > DefectDataset.MinDefectContrast, $"drawn {drawn}");
        var before = Enumerable.Repeat(0.5f, Size * Size * 3).ToArray();
        Assert.Equal(drawn, DefectPainter.Contrast(before, rgb, mask), 6);
    }

    [Theory]
    [InlineData(DefectKind.Scratch, true)]
    [InlineData(DefectKind.Crack, true)]
    [InlineData(DefectKind.Spot, true)]
    [InlineData(DefectKind.Hole, false)] // a dark core with a lit rim is always far above the surface's variation
    [InlineData(DefectKind.Dent, true)]
    public void On_a_busy_surface_a_defect_is_raised_to_the_minimum_visibility_and_keeps_its_shape(DefectKind kind, bool someFaint)
    {
        // A busy surface: 2x2 blocks of random grey in 0.25..0.75 (local mean absolute deviation ~0.12, gravel-like), so a
        // faint defect is below 2x the surface's variation as drawn. The surface deviation is recomputed here by hand.
        var below = 0;
        for (ulong seed = 0; seed < 30; seed++)
        {
            var surface = BusySurface(seed);
            var (plain, plainMask) = (surface.ToArray(), new byte[Size * Size]);
            var (raised, raisedMask) = (surface.ToArray(), new byte[Size * Size]);
            var drawn = DefectPainter.Paint(kind, new SeededRandom(seed), plain, plainMask, Size, minVisibility: 0);
            Assert.Equal(drawn, DefectPainter.Paint(kind, new SeededRandom(seed), raised, raisedMask, Size, minVisibility: 2));
            Assert.Equal(plainMask, raisedMask); // same defect, same place

            var deviation = LocalDeviation(surface, raisedMask);
            var target = Math.Max(DefectDataset.MinDefectContrast, 2 * deviation);
            var after = DefectPainter.Contrast(surface, raised, raisedMask);
            if (DefectPainter.Contrast(surface, plain, plainMask) >= target)
            {
                Assert.Equal(plain, raised); // visible enough as drawn: untouched
                continue;
            }

            below++;
            // 0.75: where clipping at 0 or 1 limits the scaled change, the painter accepts 3/4 of the target.
            Assert.True(after >= target * 0.75, $"{kind} seed {seed}: contrast {after:F4}, surface deviation {deviation:F4}");
            Assert.InRange(DefectVisibility.Measure(surface, raised, raisedMask, Size).Ratio, 1.5, 1e9);
        }

        Assert.Equal(someFaint, below > 0);
    }

    [Fact]
    public void The_minimum_visibility_changes_only_the_faint_defects_and_the_data_fingerprint()
    {
        // Needs python3-skimage and gimp-data (tools/test.sh installs them). 0 is the data of defect-cnn 1.0.0: its
        // fingerprint is the one in models/defect-cnn/training-log.txt of that model.
        var old = DefectDataset.Create(DefectDataset.DefaultSeed, minVisibility: 0);
        var current = DefectDataset.Create(DefectDataset.DefaultSeed);
        Assert.Equal("4210b48647c8fb5632cc90d27d9670934292c00652851850420518ac3b24467f", old.Fingerprint);
        Assert.NotEqual(old.Fingerprint, current.Fingerprint);
        Assert.Equal(DefectDataset.DefaultMinVisibility, current.MinVisibility);

        int same = 0, raised = 0;
        for (var i = 0; i < 120; i++)
        {
            var a = old.Generate(SurfaceSplit.Test, i);
            var b = current.Generate(SurfaceSplit.Test, i);
            Assert.Equal(a.Label, b.Label);
            Assert.Equal(a.Mask, b.Mask);
            if (a.Label == DefectKind.Ok || a.Visibility.Ratio >= DefectDataset.DefaultMinVisibility)
            {
                Assert.Equal(a.Rgb, b.Rgb);
                same++;
            }
            else
            {
                Assert.True(b.Visibility.Ratio >= DefectDataset.DefaultMinVisibility * 0.75, $"test sample {i}: {a.Visibility} -> {b.Visibility}");
                Assert.True(b.Visibility.PaintedContrast > a.Visibility.PaintedContrast);
                raised++;
            }
        }

        // About a quarter of the defects (60% of samples) were below 2 on the test surfaces.
        Assert.True(raised > 5 && same > 60, $"raised {raised}, unchanged {same}");
        // A model's manifest names the definition its metrics were measured on; one without the key, the current one.
        var recorded = new Dictionary<string, double> { [DefectDataset.MinVisibilityMetric] = 0, ["testRocAuc"] = 0.97 };
        var unrecorded = new Dictionary<string, double> { ["testRocAuc"] = 0.97 };
        Assert.Equal(0, DefectDataset.MinVisibilityOf([recorded]));
        Assert.Equal(0, DefectDataset.MinVisibilityOf([unrecorded, recorded, recorded])); // a variant added since (pruned) says nothing
        Assert.Equal(DefectDataset.DefaultMinVisibility, DefectDataset.MinVisibilityOf([unrecorded]));
        Assert.Equal(DefectDataset.DefaultMinVisibility, DefectDataset.MinVisibilityOf([]));
        var other = new Dictionary<string, double> { [DefectDataset.MinVisibilityMetric] = 2 };
        Assert.Contains("different data definitions", Assert.Throws<InvalidDataException>(() => DefectDataset.MinVisibilityOf([recorded, other])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => DefectDataset.Create(DefectDataset.DefaultSeed, requireTextures: false, minVisibility: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DefectDataset.Create(DefectDataset.DefaultSeed, requireTextures: false, minVisibility: double.NaN));
    }

    [Fact]
    public void Samples_are_a_pure_function_of_seed_split_and_index_and_ok_has_an_empty_mask()
    {
        var data = DefectDataset.Create(DefectDataset.DefaultSeed, requireTextures: false);
        var a = data.Generate(SurfaceSplit.Test, 17);
        var b = data.Generate(SurfaceSplit.Test, 17);
        var c = data.Generate(SurfaceSplit.Test, 18);
        Assert.Equal(a.Rgb, b.Rgb);
        Assert.Equal(a.Mask, b.Mask);
        Assert.NotEqual(a.Rgb, c.Rgb);

        var counts = new int[DefectLabels.Count];
        for (var i = 0; i < 300; i++)
        {
            var s = data.Generate(SurfaceSplit.Train, i);
            counts[(int)s.Label]++;
            Assert.Equal(s.Label == DefectKind.Ok, s.MaskArea() == 0);
        }

        Assert.All(counts, n => Assert.True(n > 20));
    }

    [Fact]
    public void Splits_hold_whole_surfaces_out()
    {
        var data = DefectDataset.Create(DefectDataset.DefaultSeed, requireTextures: false);
        var train = data.SourcesOf(SurfaceSplit.Train).Select(s => s.Name).ToHashSet();
        var test = data.SourcesOf(SurfaceSplit.Test).Select(s => s.Name).ToHashSet();
        var validation = data.SourcesOf(SurfaceSplit.Validation).Select(s => s.Name).ToHashSet();
        Assert.Empty(train.Intersect(test));
        Assert.Empty(train.Intersect(validation));
        Assert.Empty(test.Intersect(validation));
        foreach (var family in ProceduralSurface.Families)
        {
            Assert.Contains(test, n => n.StartsWith(family + "/", StringComparison.Ordinal));
        }

        for (var i = 0; i < 50; i++)
        {
            Assert.Contains(data.Generate(SurfaceSplit.Test, i).Surface, test);
        }
    }

    [Fact]
    public void Fresh_procedural_surfaces_change_only_training_and_never_reuse_a_held_out_parameter_set()
    {
        var plain = DefectDataset.Create(DefectDataset.DefaultSeed, requireTextures: false);
        var fresh = DefectDataset.Create(DefectDataset.DefaultSeed, requireTextures: false, freshProcedural: 0.5);
        var heldOut = plain.SourcesOf(SurfaceSplit.Test).Concat(plain.SourcesOf(SurfaceSplit.Validation)).Select(s => s.Name).ToHashSet();
        var fixedTrain = plain.SourcesOf(SurfaceSplit.Train).Select(s => s.Name).ToHashSet();

        // Validation and test are byte-identical: the evaluation measures the same images whatever the training recipe.
        foreach (var split in new[] { SurfaceSplit.Test, SurfaceSplit.Validation })
        {
            for (var i = 0; i < 40; i++)
            {
                Assert.Equal(plain.Generate(split, i).Rgb, fresh.Generate(split, i).Rgb);
            }
        }

        int procedural = 0, freshSurfaces = 0;
        for (var i = 0; i < 400; i++)
        {
            var s = fresh.Generate(SurfaceSplit.Train, i);
            Assert.DoesNotContain(s.Surface, heldOut);
            var family = s.Surface[..s.Surface.IndexOf('/', StringComparison.Ordinal)];
            if (!ProceduralSurface.Families.Contains(family))
            {
                Assert.Contains(s.Surface, fixedTrain);
                continue;
            }

            procedural++;
            var variant = int.Parse(s.Surface[(family.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            if (variant >= DefectDataset.ProceduralVariants)
            {
                freshSurfaces++;
            }
            else
            {
                Assert.Contains(s.Surface, fixedTrain);
            }
        }

        // About half of the procedural samples (binomial, n ~ 260: 0.5 +- 0.1 is > 3 standard deviations).
        Assert.InRange(freshSurfaces / (double)procedural, 0.4, 0.6);
        Assert.Throws<ArgumentOutOfRangeException>(() => DefectDataset.Create(DefectDataset.DefaultSeed, requireTextures: false, freshProcedural: 1.5));
    }

    [Fact]
    public void Pictures_on_one_surface_stay_on_it_repeat_from_their_index_and_share_no_sample_of_the_split()
    {
        var data = DefectDataset.Create(DefectDataset.DefaultSeed, requireTextures: false);
        var surface = data.SourcesOf(SurfaceSplit.Test).First();
        var first = data.GenerateOn(surface, SurfaceSplit.Test, 3, stream: 0, DefectKind.Ok);
        Assert.Equal(surface.Name, first.Surface);
        Assert.Equal(DefectKind.Ok, first.Label);
        Assert.Equal(first.Rgb, data.GenerateOn(surface, SurfaceSplit.Test, 3, stream: 0, DefectKind.Ok).Rgb);
        Assert.NotEqual(first.Rgb, data.GenerateOn(surface, SurfaceSplit.Test, 4, stream: 0, DefectKind.Ok).Rgb);
        Assert.NotEqual(first.Rgb, data.GenerateOn(surface, SurfaceSplit.Test, 3, stream: 1, DefectKind.Ok).Rgb);
        Assert.Equal(DefectKind.Hole, data.GenerateOn(surface, SurfaceSplit.Test, 3, stream: 0, DefectKind.Hole).Label);

        // None of the split's own samples (stream 0, the evaluated ones) is one of these pictures.
        var own = Enumerable.Range(0, 3000).Select(i => data.Generate(SurfaceSplit.Test, i)).Where(x => x.Surface == surface.Name).Select(x => Convert.ToHexString(x.Rgb)).ToHashSet();
        Assert.NotEmpty(own);
        Assert.All(Enumerable.Range(0, 100), i => Assert.DoesNotContain(Convert.ToHexString(data.GenerateOn(surface, SurfaceSplit.Test, i, 0, DefectKind.Ok).Rgb), own));

        // Good-part pictures run on the stream of the surface's position in the split (what DefectEval's teaching uses).
        var second = data.SourcesOf(SurfaceSplit.Test).ElementAt(1);
        Assert.Equal(first.Rgb, data.GenerateGoodPart(surface, SurfaceSplit.Test, 3).Rgb);
        Assert.Equal(data.GenerateOn(second, SurfaceSplit.Test, 5, stream: 1, DefectKind.Ok).Rgb, data.GenerateGoodPart(second, SurfaceSplit.Test, 5).Rgb);

        var trainSource = data.SourcesOf(SurfaceSplit.Train).First();
        var ex = Assert.Throws<ArgumentException>(() => data.GenerateOn(trainSource, SurfaceSplit.Test, 0, 0, DefectKind.Ok));
        Assert.Contains($"'{trainSource.Name}' is not a Test source", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Extra_training_textures_go_to_training_only_and_leave_validation_and_test_unchanged()
    {
        // Needs Debian's gimp-data-extras (tools/test.sh installs it): requireTextures makes a missing file fail here.
        AssertTrainingOnlyFamily(
            DefectDataset.Create(DefectDataset.DefaultSeed, extraTrainingTextures: true),
            TextureLibrary.ExtraFamily,
            TextureLibrary.ExtraTrainingPatterns.Count,
            (missing, directory) => TextureLibrary.LoadExtraTraining(missing, directory: directory));
    }

    [Fact]
    public void Terrain_training_textures_go_to_training_only_and_leave_validation_and_test_unchanged()
    {
        // Needs Debian's extremetuxracer-data (tools/test.sh installs it).
        var terrain = DefectDataset.Create(DefectDataset.DefaultSeed, terrainTrainingTextures: true);
        AssertTrainingOnlyFamily(
            terrain,
            TextureLibrary.TerrainFamily,
            TextureLibrary.TerrainTrainingTextures.Count,
            (missing, directory) => TextureLibrary.LoadTerrainTraining(missing, directory: directory));

        // 256x256 RGB photographs, decoded in colour (pebbles01 is a palette PNG): a view is not grey.
        var pebbles = terrain.SourcesOf(SurfaceSplit.Train).Single(s => s.Name == TextureLibrary.TerrainFamily + "/pebbles01");
        var view = Enumerable.Range(0, 400).Select(i => terrain.Generate(SurfaceSplit.Train, i)).First(x => x.Surface == pebbles.Name);
        var chroma = 0.0;
        for (var p = 0; p < view.Rgb.Length; p += 3)
        {
            chroma += Math.Abs(view.Rgb[p] - view.Rgb[p + 2]);
        }

        Assert.True(chroma / (view.Rgb.Length / 3) > 2, $"mean |R - B| {chroma / (view.Rgb.Length / 3):F2} levels: decoded without colour?");

        // Both training-only families together still leave the held-out splits alone.
        var both = DefectDataset.Create(DefectDataset.DefaultSeed, extraTrainingTextures: true, terrainTrainingTextures: true, aggregateTrainingSurfaces: true);
        var plain = DefectDataset.Create(DefectDataset.DefaultSeed);
        Assert.Equal(plain.SourcesOf(SurfaceSplit.Test).Select(s => s.Name), both.SourcesOf(SurfaceSplit.Test).Select(s => s.Name));
        Assert.Equal(plain.Generate(SurfaceSplit.Test, 7).Rgb, both.Generate(SurfaceSplit.Test, 7).Rgb);

        // The held-out tiles: validation only (with the evaluation option), never a training tile, test untouched.
        Assert.Empty(TextureLibrary.TerrainHoldoutTextures.Intersect(TextureLibrary.TerrainTrainingTextures));
        var holdout = DefectDataset.Create(DefectDataset.DefaultSeed, terrainTrainingTextures: true, terrainValidation: true);
        Assert.Equal(
            TextureLibrary.TerrainHoldoutTextures.Select(f => TextureLibrary.TerrainHoldoutFamily + "/" + Path.GetFileNameWithoutExtension(f)),
            holdout.SourcesOf(SurfaceSplit.Validation).Where(s => s.Family == TextureLibrary.TerrainHoldoutFamily).Select(s => s.Name));
        Assert.DoesNotContain(holdout.SourcesOf(SurfaceSplit.Train), s => s.Family == TextureLibrary.TerrainHoldoutFamily);
        Assert.Equal(terrain.SourcesOf(SurfaceSplit.Train).Select(s => s.Name), holdout.SourcesOf(SurfaceSplit.Train).Select(s => s.Name));
        Assert.Equal(plain.Generate(SurfaceSplit.Test, 11).Rgb, holdout.Generate(SurfaceSplit.Test, 11).Rgb);
        Assert.Contains(Enumerable.Range(0, 60), i => holdout.Generate(SurfaceSplit.Validation, i).Surface.StartsWith(TextureLibrary.TerrainHoldoutFamily + "/", StringComparison.Ordinal));

        // A file that is not an image is named, not swallowed.
        var directory = Directory.CreateTempSubdirectory("edgeai-terrains-");
        try
        {
            foreach (var file in TextureLibrary.TerrainTrainingTextures)
            {
                File.WriteAllBytes(Path.Combine(directory.FullName, file), "\x89PNG\r\n\x1a\n not a png"u8.ToArray());
            }

            var ex = Assert.Throws<InvalidDataException>(() => TextureLibrary.LoadTerrainTraining([], directory: directory.FullName));
            Assert.Contains(TextureLibrary.TerrainTrainingTextures[0], ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static void AssertTrainingOnlyFamily(DefectDataset extra, string family, int expectedSources, Func<List<string>, string, List<SurfaceSource>> load)
    {
        var plain = DefectDataset.Create(DefectDataset.DefaultSeed);
        Assert.NotEqual(plain.Fingerprint, extra.Fingerprint);
        foreach (var split in new[] { SurfaceSplit.Test, SurfaceSplit.Validation })
        {
            Assert.Equal(plain.SourcesOf(split).Select(s => s.Name), extra.SourcesOf(split).Select(s => s.Name));
            for (var i = 0; i < 40; i++)
            {
                Assert.Equal(plain.Generate(split, i).Rgb, extra.Generate(split, i).Rgb);
            }
        }

        var extraNames = extra.SourcesOf(SurfaceSplit.Train).Where(s => s.Family == family).Select(s => s.Name).ToHashSet();
        Assert.Equal(expectedSources, extraNames.Count);
        Assert.DoesNotContain(plain.SourcesOf(SurfaceSplit.Train), s => s.Family == family);

        // Families are drawn evenly: with six others, about 1/7 of training samples (n = 700, expected 100, sd ~9.3).
        var onExtra = 0;
        for (var i = 0; i < 700; i++)
        {
            onExtra += extraNames.Contains(extra.Generate(SurfaceSplit.Train, i).Surface) ? 1 : 0;
        }

        Assert.InRange(onExtra, 70, 130);

        var missing = new List<string>();
        Assert.Empty(load(missing, "/nonexistent-edgeai-patterns"));
        Assert.Equal(expectedSources, missing.Count);
        Assert.All(missing, m => Assert.StartsWith("/nonexistent-edgeai-patterns/", m, StringComparison.Ordinal));
    }

    [Fact]
    public void Defect_visibility_is_painted_contrast_over_the_local_surface_deviation()
    {
        // 16x16: columns 0-7 at 0.2, 8-15 at 0.6; one mask pixel at (8, 8) raised by 0.3 in every channel. The box grown by
        // 4 px spans columns 4-12 (4 at 0.2, 5 at 0.6), rows 4-12: mean 3.8 / 9, mean absolute deviation
        // (4 * (0.4222 - 0.2) + 5 * (0.6 - 0.4222)) / 9 = 0.19753; ratio 0.3 / 0.19753 = 1.51875 (worked by hand).
        const int size = 16;
        var surface = new float[size * size * 3];
        for (var p = 0; p < size * size; p++)
        {
            surface.AsSpan(p * 3, 3).Fill(p % size < 8 ? 0.2f : 0.6f);
        }

        var painted = (float[])surface.Clone();
        var mask = new byte[size * size];
        var at = (8 * size) + 8;
        mask[at] = 1;
        for (var c = 0; c < 3; c++)
        {
            painted[(at * 3) + c] += 0.3f;
        }

        var v = DefectVisibility.Measure(surface, painted, mask, size);
        Assert.Equal(0.3, v.PaintedContrast, 1e-6);
        Assert.Equal(16.0 / 81.0, v.SurfaceContrast, 1e-6);
        Assert.Equal(1.51875, v.Ratio, 1e-5);

        // A flat surface: the deviation is 0, the ratio is capped by the floor instead of infinite; no defect: zeros.
        var flat = new float[size * size * 3];
        var flatPainted = (float[])flat.Clone();
        flatPainted[at * 3] = 0.3f;
        Assert.Equal(0.1 / DefectVisibility.SurfaceFloor, DefectVisibility.Measure(flat, flatPainted, mask, size).Ratio, 1e-4); // 0.3f is not 0.3
        Assert.Equal(default, DefectVisibility.Measure(flat, flat, new byte[size * size], size));
        Assert.Throws<ArgumentException>(() => DefectVisibility.Measure(flat, flat, new byte[3], size));

        // Generated samples: ok has none; a defect's painted contrast reaches the minimum the painter guarantees (10% slack:
        // clipping at 0 or 1 can keep a redrawn defect just under it; the painter's own test above allows 25%), and so does
        // its visibility (25%, as the painter accepts).
        var data = DefectDataset.Create(DefectDataset.DefaultSeed, requireTextures: false);
        for (var i = 0; i < 60; i++)
        {
            var s = data.Generate(SurfaceSplit.Validation, i);
            if (s.Label == DefectKind.Ok)
            {
                Assert.Equal(default, s.Visibility);
            }
            else
            {
                Assert.True(s.Visibility.PaintedContrast >= DefectDataset.MinDefectContrast * 0.9, $"sample {i}: {s.Visibility}");
                Assert.True(s.Visibility.Ratio >= DefectDataset.DefaultMinVisibility * 0.75, $"sample {i}: {s.Visibility}");
                Assert.True(s.Visibility.SurfaceContrast > 0);
            }
        }
    }

    [Fact]
    public void Gimp_pattern_decodes_pixels_and_rejects_bad_files()
    {
        var name = "t\0"u8.ToArray();
        var header = new byte[24 + name.Length];
        void U32(int at, uint v) => System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(at), v);
        U32(0, (uint)header.Length);
        U32(4, 1);
        U32(8, 2);
        U32(12, 1);
        U32(16, 3);
        "GPAT"u8.CopyTo(header.AsSpan(20));
        name.CopyTo(header.AsSpan(24));
        byte[] pixels = [255, 0, 0, 0, 51, 255];
        var file = header.Concat(pixels).ToArray();
        var (rgb, w, h) = GimpPattern.Decode(file, "test.pat");
        Assert.Equal((2, 1), (w, h));
        Assert.Equal([1f, 0f, 0f, 0f, 0.2f, 1f], rgb);

        Assert.Throws<InvalidDataException>(() => GimpPattern.Decode(file.AsSpan(0, file.Length - 1), "short.pat"));
        var bad = (byte[])file.Clone();
        bad[20] = (byte)'X';
        Assert.Throws<InvalidDataException>(() => GimpPattern.Decode(bad, "magic.pat"));
    }

    private static float[] BusySurface(ulong seed)
    {
        var rng = new SeededRandom(seed + 1000);
        var rgb = new float[Size * Size * 3];
        for (var by = 0; by < Size; by += 2)
        {
            for (var bx = 0; bx < Size; bx += 2)
            {
                var v = (float)rng.Uniform(0.25, 0.75);
                for (var p = 0; p < 4; p++)
                {
                    rgb.AsSpan((((by + (p / 2)) * Size) + bx + (p % 2)) * 3, 3).Fill(v);
                }
            }
        }

        return rgb;
    }

    // Mean absolute deviation (per channel, averaged) of the surface in the mask's bounding box grown by 4 px.
    private static double LocalDeviation(float[] surface, byte[] mask)
    {
        var on = Enumerable.Range(0, mask.Length).Where(i => mask[i] != 0).ToArray();
        int x0 = Math.Max(0, on.Min(i => i % Size) - 4), x1 = Math.Min(Size - 1, on.Max(i => i % Size) + 4);
        int y0 = Math.Max(0, on.Min(i => i / Size) - 4), y1 = Math.Min(Size - 1, on.Max(i => i / Size) + 4);
        double total = 0;
        for (var c = 0; c < 3; c++)
        {
            var values = new List<double>();
            for (var y = y0; y <= y1; y++)
            {
                for (var x = x0; x <= x1; x++)
                {
                    values.Add(surface[(((y * Size) + x) * 3) + c]);
                }
            }

            var mean = values.Average();
            total += values.Average(v => Math.Abs(v - mean));
        }

        return total / 3;
    }

    private static bool[] Dilate(byte[] mask, int r)
    {
        var o = new bool[mask.Length];
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                if (mask[(y * Size) + x] == 0)
                {
                    continue;
                }

                for (var dy = -r; dy <= r; dy++)
                {
                    for (var dx = -r; dx <= r; dx++)
                    {
                        var yy = y + dy;
                        var xx = x + dx;
                        if (yy >= 0 && yy < Size && xx >= 0 && xx < Size)
                        {
                            o[(yy * Size) + xx] = true;
                        }
                    }
                }
            }
        }

        return o;
    }
}
