package dev.convexpipeline;
public class PipelineCli { public static void main(String[] a) { System.out.println("hi"); } }
