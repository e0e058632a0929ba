using TorchSharp;

torch.set_num_threads(1);
var x = torch.randn(2, 3);
Console.WriteLine(x.sum().item<float>());
