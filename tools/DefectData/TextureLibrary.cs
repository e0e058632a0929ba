using System.Security.Cryptography;
using StbImageSharp;

namespace EdgeAI.DefectData;

/// <summary>
/// Finds the real texture sources installed on this machine: scikit-image's CC0 textures (Debian
/// <c>python3-skimage</c>) and GIMP's patterns (Debian <c>gimp-data</c>). Files are read from the installed
/// packages at run time; none is copied into the repository.
/// </summary>
public static class TextureLibrary
{
    /// <summary>Default directory of scikit-image's bundled data.</summary>
    public const string SkimageDirectory = "/usr/lib/python3/dist-packages/skimage/data";

    /// <summary>Default directory of GIMP's patterns.</summary>
    public const string GimpPatternDirectory = "/usr/share/gimp/2.0/patterns";

    /// <summary>scikit-image textures used (512x512 grayscale photographs, CC0 per skimage/data/_fetchers.py).</summary>
    public static IReadOnlyList<string> SkimageTextures { get; } = ["brick.png", "grass.png", "gravel.png"];

    /// <summary>
    /// GIMP patterns used, relative to <see cref="GimpPatternDirectory"/>. Left out on purpose: graphic
    /// patterns (Legacy/), and patterns whose natural look is itself a defect class (craters, cracked stone,
    /// leopard spots, starfield, rain, lightning), which would make the labels wrong.
    /// </summary>
    public static IReadOnlyList<string> GimpPatterns { get; } =
    [
        "Animal/leather.pat", "Fabric/burlap.pat", "Food/java.pat", "Food/choc_swirl.pat",
        "Paper/crinklepaper.pat", "Paper/paper.pat", "Plant/leaves.pat", "Sky/sky.pat",
        "Stone/amethyst.pat", "Stone/brick.pat", "Stone/granite1.pat", "Stone/ground1.pat",
        "Stone/marble1.pat", "Stone/marble2.pat", "Stone/marble3.pat", "Stone/pink_marble.pat",
        "Stone/rock.pat", "Stone/slate.pat", "Stone/stone33.pat", "Stone/terra.pat",
        "Water/ice.pat", "Water/pool.pat",
        "Wood/bark.pat", "Wood/burlwood.pat", "Wood/corkboard.pat", "Wood/parque1.pat", "Wood/parque2.pat",
        "Wood/parque3.pat", "Wood/pine.pat", "Wood/walnut.pat", "Wood/wood1.pat", "Wood/wood2.pat",
        "Wood/wood3.pat", "Wood/wood4.pat", "Wood/wood5.pat",
    ];

    /// <summary>Family name of <see cref="ExtraTrainingPatterns"/>: its sources are only ever used for training.</summary>
    public const string ExtraFamily = "gimp-extras";

    /// <summary>Default directory of the patterns of Debian's <c>gimp-data-extras</c> (top level, next to <see cref="GimpPatternDirectory"/>'s folders).</summary>
    public const string ExtraPatternDirectory = GimpPatternDirectory;

    /// <summary>
    /// Training-only surfaces from Debian's <c>gimp-data-extras</c> (GPL, like <c>gimp-data</c>): the patterns that show a
    /// material (ground, stone, metal, cloth, wax, water, leaves, food). Left out by the same rules as
    /// <see cref="GimpPatterns"/>: rendered or graphic designs (swirls, blobs, tiles, ribbons, bars, maps, money) and patterns
    /// whose look is a defect class (drymud's cracks, rust's and connestoga's stains, coins' round dents). They never go to
    /// validation or test, so those splits, and the metrics measured on them, are the same with or without them.
    /// </summary>
    public static IReadOnlyList<string> ExtraTrainingPatterns { get; } =
    [
        "cashew.pat", "clouds.pat", "dirt.pat", "dunes.pat", "goldcloth.pat", "granite2.pat", "green_curtains.pat",
        "greyweave.pat", "greyweave2.pat", "krinkle.pat", "lathe.pat", "leaves3.pat", "leaves4.pat", "leaves6.pat",
        "mhuerock.pat", "pebbles.pat", "torrents.pat", "wax.pat", "waves.pat", "woodblind.pat", "worn_metal_chex.pat",
    ];

    /// <summary>Loads <see cref="ExtraTrainingPatterns"/> as the <see cref="ExtraFamily"/>; <paramref name="missing"/> receives the paths not found.</summary>
    /// <exception cref="InvalidDataException">A file exists but does not decode.</exception>
    public static List<SurfaceSource> LoadExtraTraining(List<string> missing, IncrementalHash? fingerprint = null, string directory = ExtraPatternDirectory)
    {
        ArgumentNullException.ThrowIfNull(missing);
        var sources = new List<SurfaceSource>();
        AddSources(sources, ExtraFamily, ExtraTrainingPatterns, directory, 1.0, DecodePattern, missing, fingerprint);
        return sources;
    }

    /// <summary>Family name of <see cref="TerrainTrainingTextures"/>: its sources are only ever used for training.</summary>
    public const string TerrainFamily = "etr-terrains";

    /// <summary>Default directory of the ground textures of Debian's <c>extremetuxracer-data</c>.</summary>
    public const string TerrainDirectory = "/usr/share/games/etr/terrains";

    /// <summary>
    /// Training-only ground photographs from Debian's <c>extremetuxracer-data</c> (GPL-2+, like <c>gimp-data</c>): 256x256
    /// tiles of pebbles, rock, dirt, mud, sand, paving and grass, the busy natural clutter the held-out stone and bark surfaces
    /// show. Left out by the same rules as <see cref="GimpPatterns"/>: tiles whose look is a defect class (rock02-04's cracks,
    /// rock's pits, grass01's leaf stains) and the near-flat snow and ice tiles. Like <see cref="ExtraTrainingPatterns"/> they
    /// never go to test; <see cref="TerrainHoldoutTextures"/> are kept out of this list.
    /// </summary>
    public static IReadOnlyList<string> TerrainTrainingTextures { get; } =
    [
        "dirt01.png", "floor01.png", "floor02.png", "grass02.png", "mud01.png", "pave01.png", "pave02.png",
        "pebbles01.png", "pebbles05.png", "rock01.png", "rock05.png", "rock06.png", "sand01.png",
    ];

    /// <summary>Family name of <see cref="TerrainHoldoutTextures"/>.</summary>
    public const string TerrainHoldoutFamily = "etr-terrains-holdout";

    /// <summary>
    /// Three more tiles of the same package (pebbles, rock, grass) that are never trained on: with
    /// <see cref="DefectDataset.TerrainValidation"/> they join the validation split as a family of their own, so a run's
    /// validation can see whether training on ground photographs carries over to unseen stone-like surfaces (the default
    /// validation split has none).
    /// </summary>
    public static IReadOnlyList<string> TerrainHoldoutTextures { get; } = ["grass03.png", "pebbles04.png", "rock07.png"];

    /// <summary>Loads <see cref="TerrainTrainingTextures"/> as the <see cref="TerrainFamily"/>; <paramref name="missing"/> receives the paths not found.</summary>
    /// <exception cref="InvalidDataException">A file exists but does not decode.</exception>
    public static List<SurfaceSource> LoadTerrainTraining(List<string> missing, IncrementalHash? fingerprint = null, string directory = TerrainDirectory) =>
        LoadPhotographs(TerrainFamily, TerrainTrainingTextures, directory, missing, fingerprint);

    /// <summary>Loads <see cref="TerrainHoldoutTextures"/> as the <see cref="TerrainHoldoutFamily"/>; <paramref name="missing"/> receives the paths not found.</summary>
    /// <exception cref="InvalidDataException">A file exists but does not decode.</exception>
    public static List<SurfaceSource> LoadTerrainHoldout(List<string> missing, IncrementalHash? fingerprint = null, string directory = TerrainDirectory) =>
        LoadPhotographs(TerrainHoldoutFamily, TerrainHoldoutTextures, directory, missing, fingerprint);

    private static List<SurfaceSource> LoadPhotographs(string family, IReadOnlyList<string> files, string directory, List<string> missing, IncrementalHash? fingerprint)
    {
        ArgumentNullException.ThrowIfNull(missing);
        var sources = new List<SurfaceSource>();
        AddSources(sources, family, files, directory, 1.0, DecodeRgb, missing, fingerprint);
        return sources;
    }

    /// <summary>Loads every listed texture found; <paramref name="missing"/> receives the paths that were not found.</summary>
    /// <exception cref="InvalidDataException">A file exists but does not decode.</exception>
    public static List<SurfaceSource> Load(List<string> missing, IncrementalHash? fingerprint = null, string skimageDirectory = SkimageDirectory, string gimpDirectory = GimpPatternDirectory)
    {
        ArgumentNullException.ThrowIfNull(missing);
        var sources = new List<SurfaceSource>();
        // 512-pixel photographs of walls and ground: sample every 2nd pixel so a 64-pixel view shows structure.
        AddSources(sources, "skimage", SkimageTextures, skimageDirectory, 2.0, DecodeRgb, missing, fingerprint);
        AddSources(sources, "gimp", GimpPatterns, gimpDirectory, 1.0, DecodePattern, missing, fingerprint);
        return sources;
    }

    /// <summary>Decodes a PNG or JPEG into interleaved RGB floats, 0..1.</summary>
    /// <exception cref="InvalidDataException">The file does not decode.</exception>
    private static (float[] Rgb, int Width, int Height) DecodeRgb(byte[] bytes, string path)
    {
        ImageResult image;
        try
        {
            image = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // stb reports a bad file with whatever exception its decoder hits (InvalidOperation, IndexOutOfRange, ...).
            throw new InvalidDataException($"Texture '{path}' is not a readable PNG or JPEG: {e.Message}", e);
        }

        var rgb = new float[image.Width * image.Height * 3];
        for (var i = 0; i < rgb.Length; i++)
        {
            rgb[i] = image.Data[i] / 255f;
        }

        return (rgb, image.Width, image.Height);
    }

    private static (float[] Rgb, int Width, int Height) DecodePattern(byte[] bytes, string path) => GimpPattern.Decode(bytes, path);

    /// <summary>
    /// Reads each of <paramref name="files"/> (relative to <paramref name="directory"/>) into a source named
    /// <c>family/file-without-extension</c>, sampled every <paramref name="step"/> pixels; absent files go to <paramref name="missing"/>,
    /// present ones' bytes into <paramref name="fingerprint"/> in list order.
    /// </summary>
    private static void AddSources(List<SurfaceSource> sources, string family, IEnumerable<string> files, string directory, double step,
        Func<byte[], string, (float[] Rgb, int Width, int Height)> decode, List<string> missing, IncrementalHash? fingerprint)
    {
        foreach (var file in files)
        {
            var path = Path.Combine(directory, file);
            if (!File.Exists(path))
            {
                missing.Add(path);
                continue;
            }

            var bytes = File.ReadAllBytes(path);
            fingerprint?.AppendData(bytes);
            var (rgb, w, h) = decode(bytes, path);
            sources.Add(new TextureSurface(family, family + "/" + Path.ChangeExtension(file, null), rgb, w, h, step));
        }
    }
}
